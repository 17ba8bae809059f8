//! All SQL lives here: migrations, the append-only hash-chained journal, the queries the screens need, CSV export.

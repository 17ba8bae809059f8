//! The use cases shared by the app and the command line: checkout, watch, refund, reconcile, resume.

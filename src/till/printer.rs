//! Where an ESC/POS printer is: on the network (`tcp://HOST:PORT`, port 9100 on most), or a device file for a
//! printer on USB (`usb:/dev/usb/lp0`) or on a serial line (`serial:/dev/ttyUSB0`, its speed set by the system, as
//! `stty -F /dev/ttyUSB0 38400` does). The bytes go as they are; every error names the printer and what to check.

use std::fmt;
use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use crate::i18n::{Lang, Localize};

/// How long a network printer has to accept the connection, and then each write.
pub const PRINTER_TIMEOUT: Duration = Duration::from_secs(5);

/// A printer's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterAddress {
    /// A network printer.
    Tcp {
        /// Its host name or IP address.
        host: String,
        /// Its port (9100 on most).
        port: u16,
    },
    /// A USB printer's device file.
    Usb(PathBuf),
    /// A serial printer's device file.
    Serial(PathBuf),
}

/// Why a print did not happen.
#[derive(Debug, Error)]
pub enum PrinterError {
    /// The address is not one of the forms.
    #[error(
        "printer '{0}': use tcp://HOST:PORT (a network printer, port 9100 on most), usb:/dev/usb/lp0 or serial:/dev/ttyUSB0"
    )]
    Address(String),
    /// The printer could not be reached, or did not take every byte.
    #[error(
        "printer {printer}: {problem}; check that it is on, connected and at this address, then print again (nothing was journaled)"
    )]
    Unreachable {
        /// The address.
        printer: String,
        /// What went wrong.
        problem: String,
    },
}

impl Localize for PrinterError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (PrinterError::Address(a), Lang::Fr) => format!(
                "Imprimante « {a} » : indiquez tcp://HÔTE:PORT (imprimante réseau, port 9100 le plus souvent), usb:/dev/usb/lp0 ou serial:/dev/ttyUSB0"
            ),
            (PrinterError::Unreachable { printer, problem }, Lang::Fr) => format!(
                "Imprimante {printer} : {problem} ; vérifiez qu'elle est allumée, branchée et à cette adresse, puis imprimez à nouveau (rien n'a été journalisé)"
            ),
        }
    }
}

impl fmt::Display for PrinterAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrinterAddress::Tcp { host, port } if host.contains(':') => {
                write!(f, "tcp://[{host}]:{port}")
            }
            PrinterAddress::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            PrinterAddress::Usb(p) => write!(f, "usb:{}", p.display()),
            PrinterAddress::Serial(p) => write!(f, "serial:{}", p.display()),
        }
    }
}

impl PrinterAddress {
    /// Reads `tcp://HOST:PORT`, `usb:PATH` or `serial:PATH`.
    pub fn parse(s: &str) -> Result<PrinterAddress, PrinterError> {
        let s = s.trim();
        let bad = || PrinterError::Address(s.chars().take(80).collect());
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port: u16 = port.parse().map_err(|_| bad())?;
            if host.is_empty() || port == 0 || host.contains(['/', '@', ' ']) {
                return Err(bad());
            }
            return Ok(PrinterAddress::Tcp {
                host: host.to_string(),
                port,
            });
        }
        for (prefix, usb) in [("usb:", true), ("serial:", false)] {
            if let Some(path) = s.strip_prefix(prefix) {
                if path.is_empty() {
                    return Err(bad());
                }
                let path = PathBuf::from(path);
                return Ok(if usb {
                    PrinterAddress::Usb(path)
                } else {
                    PrinterAddress::Serial(path)
                });
            }
        }
        Err(bad())
    }

    /// Sends `bytes`, every one of them, or says why not.
    pub fn send(&self, bytes: &[u8]) -> Result<(), PrinterError> {
        let failed = |problem: String| PrinterError::Unreachable {
            printer: self.to_string(),
            problem,
        };
        match self {
            PrinterAddress::Tcp { host, port } => {
                let addrs: Vec<_> = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| failed(format!("its name does not resolve ({e})")))?
                    .collect();
                let mut last = String::from("no address");
                for addr in addrs {
                    match TcpStream::connect_timeout(&addr, PRINTER_TIMEOUT) {
                        Ok(mut stream) => {
                            stream
                                .set_write_timeout(Some(PRINTER_TIMEOUT))
                                .map_err(|e| failed(e.to_string()))?;
                            stream
                                .write_all(bytes)
                                .and_then(|()| stream.flush())
                                .map_err(|e| failed(format!("sending failed ({e})")))?;
                            // A clean close: the printer knows the job is whole.
                            let _ = stream.shutdown(std::net::Shutdown::Write);
                            tracing::info!(printer = %self, bytes = bytes.len(), "sent to the printer");
                            return Ok(());
                        }
                        Err(e) => {
                            last = format!(
                                "no connection within {} s ({e})",
                                PRINTER_TIMEOUT.as_secs()
                            )
                        }
                    }
                }
                Err(failed(last))
            }
            PrinterAddress::Usb(path) | PrinterAddress::Serial(path) => {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| failed(format!("its device cannot be opened ({e})")))?;
                f.write_all(bytes)
                    .and_then(|()| f.flush())
                    .map_err(|e| failed(format!("sending failed ({e})")))?;
                tracing::info!(printer = %self, bytes = bytes.len(), "sent to the printer");
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_addresses_are_read_and_said_back() {
        for s in [
            "tcp://192.168.1.20:9100",
            "tcp://[::1]:9100",
            "usb:/dev/usb/lp0",
            "serial:/dev/ttyUSB0",
        ] {
            assert_eq!(
                PrinterAddress::parse(s).map(|a| a.to_string()).ok(),
                Some(s.into())
            );
        }
        for s in [
            "192.168.1.20",
            "tcp://host",
            "tcp://:9100",
            "tcp://u:p@h:1",
            "lpt1",
            "usb:",
        ] {
            let e = PrinterAddress::parse(s)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.contains("tcp://HOST:PORT"), "{s}: {e}");
        }
    }

    #[test]
    fn a_printer_that_does_not_answer_is_named() {
        // A port nothing listens on: bound, then released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let p = PrinterAddress::Tcp {
            host: "127.0.0.1".into(),
            port,
        };
        let e = p
            .send(b"\x1b@")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains(&format!("printer tcp://127.0.0.1:{port}")),
            "{e}"
        );
        assert!(e.contains("nothing was journaled"), "{e}");
    }
}

//! Standard output for the commands' results.
//!
//! `println!` panics when the reader has gone (`dossier search nato | head -1`). Output
//! written through [`print`] ends quietly there instead, as other Unix tools do: the reader
//! took what it wanted, so it is not an error and the command's work still finishes.

use std::io::{ErrorKind, Write};

/// Writes `text` to standard output; a closed pipe is not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    write_to(&mut std::io::stdout().lock(), text)
}

fn write_to(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// `println!` through [`print`]: `outln!("{} results", n)?`.
macro_rules! outln {
    () => {
        $crate::out::print("\n")
    };
    ($($arg:tt)*) => {
        $crate::out::print(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` through [`print`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::print(&format!($($arg)*))
    };
}

pub(crate) use {out, outln};

#[cfg(test)]
mod tests {
    use super::write_to;
    use std::io::{ErrorKind, Write};

    /// A writer that fails as a closed pipe (or a full disk) does.
    struct Failing(ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_not_an_error_but_other_failures_are() {
        assert!(write_to(&mut Failing(ErrorKind::BrokenPipe), "x").is_ok());
        let full = write_to(&mut Failing(ErrorKind::StorageFull), "x");
        assert_eq!(full.unwrap_err().kind(), ErrorKind::StorageFull);
        let mut v = Vec::new();
        write_to(&mut v, "text\n").unwrap();
        assert_eq!(v, b"text\n");
    }
}

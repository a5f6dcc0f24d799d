//! An incremental HTTP/1.1 response reader: the head is parsed with httparse
//! from the connection's buffer, the body is only counted off (Content-Length,
//! chunked, or until close) and never stored.

/// Response heads larger than this are refused rather than buffered.
pub(crate) const MAX_HEAD: usize = 64 * 1024;

/// Why a response was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The server broke HTTP/1.1.
    Malformed,
    /// The body is (or announces itself) longer than the bound: a body that
    /// never ends must not keep the connection busy forever.
    BodyTooLarge,
}

/// A complete response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    /// The connection can carry the next request.
    pub keep_alive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    Length(u64),
    Chunked(Chunk),
    UntilClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size { size: u64, digits: bool },
    Extension { size: u64 },
    SizeLf { size: u64 },
    Data(u64),
    DataCr,
    DataLf,
    TrailerStart,
    Trailer,
    TrailerLf,
    EndLf,
}

#[derive(Debug)]
pub(crate) struct ResponseReader {
    state: State,
    head_request: bool,
    status: u16,
    keep_alive: bool,
    /// The longest body accepted.
    max_body: u64,
    /// Body bytes still allowed in the current response.
    budget: u64,
}

impl ResponseReader {
    pub(crate) fn new(max_body: u64) -> Self {
        Self {
            state: State::Head,
            head_request: false,
            status: 0,
            keep_alive: true,
            max_body,
            budget: max_body,
        }
    }

    /// Expects the response to a new request.
    pub(crate) fn begin(&mut self, head_request: bool) {
        self.state = State::Head;
        self.head_request = head_request;
        self.budget = self.max_body;
    }

    /// Takes what it can from `data` (the unconsumed bytes read so far):
    /// how many bytes it used, and the response once it is complete. Until
    /// the head is complete it uses nothing, so the caller keeps the bytes
    /// and reads more after them.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<(usize, Option<Response>), Refused> {
        let mut pos = 0;
        loop {
            let rest = &data[pos..];
            match &mut self.state {
                State::Head => {
                    let Some(used) = self.head(rest)? else {
                        return Ok((pos, None));
                    };
                    pos += used;
                }
                State::Length(remaining) => {
                    let take = (*remaining).min(rest.len() as u64);
                    *remaining -= take;
                    pos += take as usize;
                    if *remaining > 0 {
                        return Ok((pos, None));
                    }
                    return Ok((pos, Some(self.done())));
                }
                State::Chunked(chunk) => {
                    let (used, end) = chunk.feed(rest, &mut self.budget)?;
                    pos += used;
                    if !end {
                        return Ok((pos, None));
                    }
                    return Ok((pos, Some(self.done())));
                }
                State::UntilClose => {
                    self.budget = self
                        .budget
                        .checked_sub(rest.len() as u64)
                        .ok_or(Refused::BodyTooLarge)?;
                    return Ok((data.len(), None));
                }
            }
        }
    }

    /// The server closed the connection: a response that runs until close
    /// is then complete; anything else was cut short.
    pub(crate) fn eof(&mut self) -> Option<Response> {
        (self.state == State::UntilClose).then(|| {
            self.keep_alive = false;
            self.done()
        })
    }

    fn done(&mut self) -> Response {
        self.state = State::Head;
        Response {
            status: self.status,
            keep_alive: self.keep_alive,
        }
    }

    /// Parses a head; `None` while incomplete. Sets the body state (a
    /// body-less response is `Length(0)`); skips interim 1xx heads.
    fn head(&mut self, data: &[u8]) -> Result<Option<usize>, Refused> {
        // Most responses have a handful of headers: a small array is cheaper
        // to set up per response; a larger one only when it overflows.
        match self.head_with::<32>(data) {
            Err(httparse::Error::TooManyHeaders) => self.head_with::<128>(data),
            other => other,
        }
        .map_err(|_| Refused::Malformed)?
    }

    fn head_with<const N: usize>(
        &mut self,
        data: &[u8],
    ) -> Result<Result<Option<usize>, Refused>, httparse::Error> {
        let mut headers = [httparse::EMPTY_HEADER; N];
        let mut response = httparse::Response::new(&mut headers);
        let used = match response.parse(data)? {
            httparse::Status::Complete(used) => used,
            httparse::Status::Partial => return Ok(Ok(None)),
        };
        Ok(self.inspect(&response, used))
    }

    fn inspect(
        &mut self,
        response: &httparse::Response<'_, '_>,
        used: usize,
    ) -> Result<Option<usize>, Refused> {
        let status = response.code.ok_or(Refused::Malformed)?;
        if (100..200).contains(&status) {
            // 100 Continue and friends precede the real response; 101 would switch protocols.
            return if status == 101 {
                Err(Refused::Malformed)
            } else {
                Ok(Some(used))
            };
        }
        let mut length = None;
        let mut chunked = false;
        let mut encoded = false;
        let mut close = false;
        let mut keep_alive_token = false;
        for h in response.headers.iter() {
            if h.name.eq_ignore_ascii_case("content-length") {
                let n = parse_length(h.value).ok_or(Refused::Malformed)?;
                if length.is_some_and(|l| l != n) {
                    return Err(Refused::Malformed);
                }
                length = Some(n);
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                encoded = true;
                // Chunked must be the last coding; anything else runs until close.
                chunked = h
                    .value
                    .rsplit(|&b| b == b',')
                    .next()
                    .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            } else if h.name.eq_ignore_ascii_case("connection") {
                for token in h.value.split(|&b| b == b',') {
                    let token = token.trim_ascii();
                    close |= token.eq_ignore_ascii_case(b"close");
                    keep_alive_token |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            }
        }
        let http10 = response.version == Some(0);
        self.status = status;
        self.keep_alive = !close && (!http10 || keep_alive_token);
        self.state = if self.head_request || status == 204 || status == 304 {
            State::Length(0)
        } else if chunked {
            State::Chunked(Chunk::Size {
                size: 0,
                digits: false,
            })
        } else if let (Some(n), false) = (length, encoded) {
            if n > self.budget {
                return Err(Refused::BodyTooLarge);
            }
            State::Length(n)
        } else {
            self.keep_alive = false;
            State::UntilClose
        };
        Ok(Some(used))
    }
}

/// A Content-Length value: decimal digits, optional surrounding whitespace.
fn parse_length(value: &[u8]) -> Option<u64> {
    let digits = value.trim_ascii();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit()
            .then(|| n.checked_mul(10)?.checked_add(u64::from(b - b'0')))
            .flatten()
    })
}

impl Chunk {
    /// Advances over `data`: bytes used and whether the body ended. Each
    /// chunk's size is taken from `budget` as it is announced.
    fn feed(&mut self, data: &[u8], budget: &mut u64) -> Result<(usize, bool), Refused> {
        let mut i = 0;
        while i < data.len() {
            if let Chunk::Data(remaining) = self {
                // Skip chunk data in one step rather than byte by byte.
                let take = (*remaining).min((data.len() - i) as u64);
                *remaining -= take;
                i += take as usize;
                if *remaining == 0 {
                    *self = Chunk::DataCr;
                }
                continue;
            }
            let b = data[i];
            i += 1;
            *self = match (*self, b) {
                (Chunk::Size { size, .. }, b) if b.is_ascii_hexdigit() => {
                    let digit = u64::from((b as char).to_digit(16).unwrap_or(0));
                    let size = size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(digit))
                        .ok_or(Refused::Malformed)?;
                    Chunk::Size { size, digits: true }
                }
                (Chunk::Size { size, digits: true }, b';' | b' ' | b'\t') => {
                    Chunk::Extension { size }
                }
                (Chunk::Size { size, digits: true }, b'\r') => Chunk::SizeLf { size },
                (Chunk::Extension { size }, b'\r') => Chunk::SizeLf { size },
                (Chunk::Extension { size }, _) => Chunk::Extension { size },
                (Chunk::SizeLf { size: 0 }, b'\n') => Chunk::TrailerStart,
                (Chunk::SizeLf { size }, b'\n') => {
                    *budget = budget.checked_sub(size).ok_or(Refused::BodyTooLarge)?;
                    Chunk::Data(size)
                }
                (Chunk::DataCr, b'\r') => Chunk::DataLf,
                (Chunk::DataLf, b'\n') => Chunk::Size {
                    size: 0,
                    digits: false,
                },
                (Chunk::TrailerStart, b'\r') => Chunk::EndLf,
                (Chunk::Trailer, b'\r') => Chunk::TrailerLf,
                (Chunk::TrailerStart | Chunk::Trailer, _) => Chunk::Trailer,
                (Chunk::TrailerLf, b'\n') => Chunk::TrailerStart,
                (Chunk::EndLf, b'\n') => return Ok((i, true)),
                _ => return Err(Refused::Malformed),
            };
        }
        Ok((i, false))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Feeds `wire` in pieces of `step` bytes as a connection would:
    /// unconsumed bytes stay at the front of the buffer.
    fn read_all(
        wire: &[u8],
        step: usize,
        head_request: bool,
    ) -> Result<(Response, usize), Refused> {
        read_bounded(wire, step, head_request, u64::MAX)
    }

    fn read_bounded(
        wire: &[u8],
        step: usize,
        head_request: bool,
        max_body: u64,
    ) -> Result<(Response, usize), Refused> {
        let mut reader = ResponseReader::new(max_body);
        reader.begin(head_request);
        let mut buf = Vec::new();
        for piece in wire.chunks(step) {
            buf.extend_from_slice(piece);
            let (used, done) = reader.feed(&buf)?;
            buf.drain(..used);
            if let Some(response) = done {
                return Ok((response, buf.len()));
            }
        }
        reader
            .eof()
            .map(|r| (r, buf.len()))
            .ok_or(Refused::Malformed)
    }

    /// The whole response in one read.
    fn whole(wire: &str) -> Result<(Response, usize), Refused> {
        read_all(wire.as_bytes(), wire.len(), false)
    }

    fn each_step(wire: &str, head_request: bool) -> Result<(Response, usize), Refused> {
        let first = read_all(wire.as_bytes(), wire.len(), head_request);
        for step in 1..wire.len() {
            assert_eq!(
                read_all(wire.as_bytes(), step, head_request),
                first,
                "step {step}"
            );
        }
        first
    }

    const OK: Response = Response {
        status: 200,
        keep_alive: true,
    };

    #[test]
    fn content_length() {
        let wire = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(each_step(wire, false), Ok((OK, 0)));
        // Bytes after the response are left for the caller to judge.
        let wire = "HTTP/1.1 500 Oops\r\ncontent-length: 2\r\n\r\nhiEXTRA";
        let r = whole(wire).unwrap();
        assert_eq!((r.0.status, r.1), (500, 5));
    }

    #[test]
    fn chunked_with_extensions_and_trailers() {
        let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
                    5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nx-trailer: 1\r\n\r\n";
        assert_eq!(each_step(wire, false), Ok((OK, 0)));
        let wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        assert_eq!(each_step(wire, false), Ok((OK, 0)));
    }

    #[test]
    fn bad_chunks_are_malformed() {
        for body in ["zz\r\n", "5\r\nhelloXX", "\r\n", "5\r\nhello\r\n0\r\n\rX"] {
            let wire =
                format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{body}\r\n\r\n");
            assert_eq!(whole(&wire), Err(Refused::Malformed), "{body:?}");
        }
        let huge = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n";
        assert_eq!(read_all(huge.as_bytes(), 7, false), Err(Refused::Malformed));
    }

    #[test]
    fn connection_close_and_http10() {
        let close = Response {
            status: 200,
            keep_alive: false,
        };
        let wire = "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(each_step(wire, false), Ok((close, 0)));
        let wire = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(each_step(wire, false), Ok((close, 0)));
        let wire = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(each_step(wire, false), Ok((OK, 0)));
        // No length: the body runs until the server closes.
        let wire = "HTTP/1.1 200 OK\r\n\r\nsome body";
        assert_eq!(each_step(wire, false), Ok((close, 0)));
    }

    #[test]
    fn bodyless_responses() {
        let wire = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
        assert_eq!(each_step(wire, true), Ok((OK, 0)));
        let wire = "HTTP/1.1 204 No Content\r\n\r\n";
        assert_eq!(each_step(wire, false).unwrap().0.status, 204);
        let wire =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx";
        assert_eq!(each_step(wire, false).unwrap().0.status, 201);
    }

    #[test]
    fn many_headers_fit_until_they_do_not() {
        let head = |n: usize| {
            let extra: String = (0..n).map(|i| format!("x-h{i}: v\r\n")).collect();
            format!("HTTP/1.1 200 OK\r\n{extra}Content-Length: 2\r\n\r\nok")
        };
        let wire = head(100);
        assert_eq!(whole(&wire), Ok((OK, 0)));
        let wire = head(200);
        assert_eq!(whole(&wire), Err(Refused::Malformed));
    }

    #[test]
    fn content_length_values() {
        assert_eq!(parse_length(b" 42 "), Some(42));
        assert_eq!(parse_length(b"0"), Some(0));
        for bad in [
            &b""[..],
            b" ",
            b"+5",
            b"-1",
            b"4 2",
            b"1e3",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_length(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bodies_over_the_bound_are_refused_however_they_are_framed() {
        let bounded = |wire: &str, max: u64| read_bounded(wire.as_bytes(), 3, false, max);
        // Exactly at the bound is fine; one byte over is not.
        let length = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
        assert_eq!(bounded(length, 10), Ok((OK, 0)));
        assert_eq!(bounded(length, 9), Err(Refused::BodyTooLarge));
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                       4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n";
        assert_eq!(bounded(chunked, 10), Ok((OK, 0)));
        assert_eq!(bounded(chunked, 9), Err(Refused::BodyTooLarge));
        let until_close = "HTTP/1.1 200 OK\r\n\r\n0123456789";
        assert_eq!(bounded(until_close, 10).map(|r| r.0.status), Ok(200));
        assert_eq!(bounded(until_close, 9), Err(Refused::BodyTooLarge));
        // The bound is per response: a second response starts afresh.
        let mut reader = ResponseReader::new(10);
        for _ in 0..2 {
            reader.begin(false);
            assert_eq!(reader.feed(length.as_bytes()).map(|(_, r)| r), Ok(Some(OK)));
        }
    }

    #[test]
    fn garbage_is_malformed() {
        for wire in [
            "HTTX/1.1 200 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "HTTP/1.1 101 Switching\r\n\r\n",
        ] {
            assert_eq!(whole(wire), Err(Refused::Malformed), "{wire:?}");
        }
        // Cut short: not a response.
        let wire = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc";
        assert_eq!(read_all(wire.as_bytes(), 4, false), Err(Refused::Malformed));
    }
}

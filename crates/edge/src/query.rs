use crate::ApiError;

/// The parameters of a query string, percent-decoded, checked against the names a route
/// accepts: an unknown or repeated single-valued parameter is a 400, so a typo such as
/// `recipents=` is reported instead of ignored.
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: &str, allowed: &[&str]) -> Result<Query, ApiError> {
        let mut pairs = Vec::new();
        for piece in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            let name = decode(name)?;
            if !allowed.contains(&name.as_str()) {
                let expected = if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") };
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter '{name}'; this route accepts: {expected}"
                )));
            }
            pairs.push((name, decode(value)?));
        }
        Ok(Query { pairs })
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn one<'a>(&'a self, name: &'a str) -> Result<Option<&'a str>, ApiError> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad_request(format!("query parameter '{name}' is given more than once")));
        }
        Ok(first)
    }

    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.one(name)? {
            None | Some("0" | "false") => Ok(false),
            Some("" | "1" | "true") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!("'{name}={other}' must be true or false"))),
        }
    }
}

/// Every `name=value` pair of a query string in order, percent-decoded, without checking the
/// names (`name` alone gives an empty value). A leading `?` is skipped.
pub fn pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            Ok((decode(name)?, decode(value)?))
        })
        .collect()
}

fn decode(text: &str) -> Result<String, ApiError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let value = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(|| {
                    ApiError::bad_request(format!("the query has a malformed percent escape near {text:?}"))
                })?;
                out.push(value);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ApiError::bad_request("the query is not valid UTF-8 once decoded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_checks_names() {
        let q = Query::parse("recipient=age1%2Bx&recipient=b&armor", &["recipient", "armor"]).unwrap();
        assert_eq!(q.all("recipient").collect::<Vec<_>>(), ["age1+x", "b"]);
        assert!(q.flag("armor").unwrap());
        assert!(q.one("recipient").is_err());
        assert_eq!(Query::parse("recipents=x", &["recipient"]).err().unwrap().status, 400);
        assert_eq!(Query::parse("a=%zz", &["a"]).err().unwrap().status, 400);
        assert_eq!(Query::parse("a=%4", &["a"]).err().unwrap().status, 400);
    }
}

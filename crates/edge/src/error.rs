use nearnative_core::{Error, ErrorCode};

/// A request that cannot be served: the HTTP status plus the JSON body
/// `{"error":{"code","message"}}`. `code` is a kernel's stable [`ErrorCode`] where a kernel
/// refused the input, or one of the HTTP-level codes below where the request never reached
/// one; either way clients switch on `code`, not on the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// For 405: the methods the path does accept (the `Allow` header).
    pub allow: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), allow: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, ErrorCode::InvalidInput.as_str(), message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(404, "not_found", message)
    }

    pub fn method_not_allowed(method: &str, path: &str, allow: &'static str) -> Self {
        ApiError {
            allow: Some(allow),
            ..ApiError::new(405, "method_not_allowed", format!("{method} is not allowed on {path}; use {allow}"))
        }
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        ApiError::new(415, "unsupported_media_type", message)
    }

    pub fn body_too_large(limit: u64, what: &str) -> Self {
        ApiError::new(
            413,
            ErrorCode::LimitExceeded.as_str(),
            format!("the request body is over the {limit}-byte limit for {what}; send less or raise the limit"),
        )
    }

    pub fn timeout(limit_ms: u64) -> Self {
        ApiError::new(503, "timeout", format!("the request took longer than the {limit_ms} ms time limit"))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, ErrorCode::Internal.as_str(), message)
    }

    /// `{"error":{"code":"...","message":"..."}}` followed by a newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut body = serde_json::to_vec(&serde_json::json!({"error": {"code": self.code, "message": self.message}}))
            .unwrap_or_default();
        body.push(b'\n');
        body
    }
}

impl From<Error> for ApiError {
    /// A kernel's refusal is the client's mistake (4xx) except for `internal`.
    fn from(err: Error) -> Self {
        let status = match err.code() {
            ErrorCode::InvalidInput | ErrorCode::Unsupported | ErrorCode::Io => 400,
            ErrorCode::LimitExceeded => 422,
            ErrorCode::AuthFailed => 422,
            _ => 500,
        };
        ApiError::new(status, err.code().as_str(), err.message())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

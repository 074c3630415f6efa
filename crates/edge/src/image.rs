//! The image routes: `POST /v1/image?resize=800x&fit=cover&format=webp` (the body is the
//! encoded image, the reply the encoded result) and `POST /v1/image/info` (the header as
//! JSON). The query is the step vocabulary of `nearnative image convert` and of the
//! component's `transform`, parsed by `nearnative_image::pipeline::parse_steps`.

use nearnative_core::Error;
use nearnative_image::pipeline::{self, Job};
use nearnative_image::{Format, Limits};
use serde_json::{json, Value};

use crate::job::Reply;
use crate::ApiError;

/// A job from a query string in the CLI/HTTP step vocabulary (`resize=800x&fit=cover&format=webp`,
/// a leading `?` allowed, values percent-decoded, in order). The component's `transform` and
/// the HTTP route both call this, so they cannot read a query differently.
pub fn image_job(query: &str) -> Result<Job, Error> {
    let pairs = crate::query::pairs(query).map_err(|e| Error::invalid_input(e.message))?;
    let (job, _) = pipeline::parse_steps(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))?;
    Ok(job)
}

/// The route's job: [`image_job`], with the pixel limit at most the server's. A client may
/// lower it with `max-pixels=`, never raise it.
pub(crate) fn route_job(query: &str) -> Result<Job, ApiError> {
    let mut job = image_job(query)?;
    job.limits.max_pixels = job.limits.max_pixels.min(Limits::DEFAULT.max_pixels);
    Ok(job)
}

fn need_body(body: &[u8]) -> Result<(), ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the request body is empty; send the image file itself \
             (with curl: -H 'content-type: application/octet-stream' --data-binary @photo.jpg)",
        ));
    }
    Ok(())
}

/// Runs the job on the whole body: the encoded result with its media type and its size in
/// `x-image-width` / `x-image-height`.
pub(crate) fn run(job: &Job, body: &[u8]) -> Result<Reply, ApiError> {
    need_body(body)?;
    let output = pipeline::run(job, body, &[])?;
    let content_type = output.format.map_or("application/octet-stream", Format::mime_type);
    Ok(Reply {
        status: 200,
        content_type,
        body: output.bytes,
        headers: vec![("x-image-width", output.width.to_string()), ("x-image-height", output.height.to_string())],
    })
}

/// The header of the body as JSON (`nearnative_image::Info`).
pub(crate) fn info(body: &[u8]) -> Result<Reply, ApiError> {
    need_body(body)?;
    let info = nearnative_image::probe(body)?;
    let value = serde_json::to_value(&info).map_err(|e| ApiError::internal(format!("serializing image info: {e}")))?;
    Ok(Reply::json(value))
}

/// What `/v1/health` lists for the image routes.
pub(crate) fn health() -> Value {
    json!({
        "formats": Format::ALL.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "steps": pipeline::VOCABULARY.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        "max_pixels": Limits::DEFAULT.max_pixels,
    })
}

//! The image routes through the router, natively: statuses, codes, headers. The HTTP hosts
//! run the same requests in tests/http/image.test.mjs.

use nearnative_edge::{image_job, start, Config, Reply, RequestHead};
use nearnative_image::{codec, EncodeOptions, Format, Image, Limits};
use serde_json::Value;

fn clock() -> f64 {
    0.0
}

fn run(config: &Config, head: RequestHead, body: &[u8]) -> Reply {
    let mut job = match start(config, &head) {
        Ok(job) => job,
        Err(err) => return err.into(),
    };
    for piece in body.chunks(1000) {
        if let Err(err) = job.push(piece) {
            return err.into();
        }
    }
    job.finish().unwrap_or_else(Into::into)
}

fn post(path: &str) -> RequestHead {
    RequestHead::new("POST", path).with_header("Content-Type", "image/png")
}

fn code(reply: &Reply) -> String {
    let json: Value = serde_json::from_slice(&reply.body).unwrap();
    json["error"]["code"].as_str().unwrap().to_owned()
}

fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
}

/// A 40x30 gradient as PNG.
fn png() -> Vec<u8> {
    let mut pixels = Vec::new();
    for y in 0..30u32 {
        for x in 0..40u32 {
            pixels.extend_from_slice(&[(x * 6) as u8, (y * 8) as u8, 128, 255]);
        }
    }
    let image = Image::from_rgba(40, 30, pixels, &Limits::DEFAULT).unwrap();
    codec::encode(&image, &EncodeOptions::new(Format::Png)).unwrap()
}

#[test]
fn image_route_encodes_with_the_media_type_and_size_headers() {
    let config = Config::new("test", clock);
    let reply = run(&config, post("/v1/image?resize=20x&format=webp"), &png());
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    assert_eq!(reply.content_type, "image/webp");
    assert_eq!((header(&reply, "x-image-width"), header(&reply, "x-image-height")), (Some("20"), Some("15")));
    let info = codec::probe(&reply.body).unwrap();
    assert_eq!((info.format, info.width, info.height), (Format::Webp, 20, 15));
    // No format: the input's.
    let same = run(&config, post("/v1/image?flip=v"), &png());
    assert_eq!(same.content_type, "image/png");
    // The HTTP route and image_job (the component's transform) read a query the same way.
    let job = image_job("?resize=20x&format=webp").unwrap();
    assert_eq!(nearnative_image::run(&job, &png(), &[]).unwrap().bytes, reply.body);
}

#[test]
fn image_info_answers_json() {
    let reply = run(&Config::new("test", clock), post("/v1/image/info"), &png());
    assert_eq!(reply.status, 200);
    let json: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        (json["format"].as_str(), json["width"].as_u64(), json["height"].as_u64()),
        (Some("png"), Some(40), Some(30))
    );
}

#[test]
fn image_errors_have_their_status_and_code() {
    let config = Config::new("test", clock);
    let get = run(&config, RequestHead::new("GET", "/v1/image"), b"");
    assert_eq!((get.status, header(&get, "allow")), (405, Some("POST")));
    for (path, body, status, expected) in [
        ("/v1/image", &b""[..], 400, "invalid_input"),
        ("/v1/image/info", &b""[..], 400, "invalid_input"),
        ("/v1/image?resise=10x", &png()[..], 400, "invalid_input"),
        ("/v1/image?crop=%zz", &png()[..], 400, "invalid_input"),
        ("/v1/image?format=tiff", &png()[..], 400, "unsupported"),
        ("/v1/image", &b"not an image"[..], 400, "unsupported"),
        ("/v1/image?max-pixels=100", &png()[..], 422, "limit_exceeded"),
    ] {
        let reply = run(&config, post(path), body);
        assert_eq!((reply.status, code(&reply).as_str()), (status, expected), "{path}");
    }
    let mut small = Config::new("test", clock);
    small.max_buffered_bytes = 100;
    let reply = run(&small, post("/v1/image"), &png());
    assert_eq!((reply.status, code(&reply).as_str()), (413, "limit_exceeded"));
    let declared = run(&small, post("/v1/image").with_header("content-length", "101"), b"");
    assert_eq!(declared.status, 413);
}

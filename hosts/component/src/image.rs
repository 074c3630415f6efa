//! The `image` interface: WIT records and variants mapped one to one onto
//! `nearnative_image::pipeline::{Step, Job, Target}`; the kernels do the rest.

use nearnative_image::codec::ChromaSubsampling;
use nearnative_image::composite::{Blend, Gravity};
use nearnative_image::filter::Kernel;
use nearnative_image::geometry::{Filter, Fit, Padding, Position, Resize, Trim};
use nearnative_image::palette::Palette;
use nearnative_image::pipeline::{self, Job, Output, Step, Target};
use nearnative_image::{codec, Format, Image, Info, Limits};

use crate::bindings::exports::nearnative::kernels::image as wit;
use crate::bindings::exports::nearnative::kernels::types::Error;
use crate::{wit_error, Component};

fn format(f: wit::Format) -> Format {
    match f {
        wit::Format::Png => Format::Png,
        wit::Format::Jpeg => Format::Jpeg,
        wit::Format::Webp => Format::Webp,
        wit::Format::Gif => Format::Gif,
        wit::Format::Qoi => Format::Qoi,
        wit::Format::Bmp => Format::Bmp,
    }
}

fn wit_format(f: Format) -> wit::Format {
    match f {
        Format::Png => wit::Format::Png,
        Format::Jpeg => wit::Format::Jpeg,
        Format::Webp => wit::Format::Webp,
        Format::Gif => wit::Format::Gif,
        Format::Qoi => wit::Format::Qoi,
        Format::Bmp => wit::Format::Bmp,
    }
}

fn rgba(c: wit::Colour) -> [u8; 4] {
    [c.r, c.g, c.b, c.a]
}

fn rgb(c: wit::Colour) -> [u8; 3] {
    [c.r, c.g, c.b]
}

fn step(step: wit::Step) -> Step {
    use wit::Step as W;
    match step {
        W::Resize(r) => Step::Resize(Resize {
            width: r.width,
            height: r.height,
            fit: match r.fit {
                wit::Fit::Cover => Fit::Cover,
                wit::Fit::Contain => Fit::Contain,
                wit::Fit::Fill => Fit::Fill,
                wit::Fit::Inside => Fit::Inside,
                wit::Fit::Outside => Fit::Outside,
            },
            filter: match r.filter {
                wit::Filter::Nearest => Filter::Nearest,
                wit::Filter::Bilinear => Filter::Bilinear,
                wit::Filter::Bicubic => Filter::Bicubic,
                wit::Filter::Mitchell => Filter::Mitchell,
                wit::Filter::Lanczos3 => Filter::Lanczos3,
            },
            background: rgba(r.background),
            position: match r.position {
                wit::Position::Centre => Position::Gravity(Gravity::Centre),
                wit::Position::North => Position::Gravity(Gravity::North),
                wit::Position::NorthEast => Position::Gravity(Gravity::NorthEast),
                wit::Position::East => Position::Gravity(Gravity::East),
                wit::Position::SouthEast => Position::Gravity(Gravity::SouthEast),
                wit::Position::South => Position::Gravity(Gravity::South),
                wit::Position::SouthWest => Position::Gravity(Gravity::SouthWest),
                wit::Position::West => Position::Gravity(Gravity::West),
                wit::Position::NorthWest => Position::Gravity(Gravity::NorthWest),
                wit::Position::Entropy => Position::Entropy,
                wit::Position::Attention => Position::Attention,
            },
            without_enlargement: r.without_enlargement,
            without_reduction: r.without_reduction,
        }),
        W::Crop(r) => Step::Crop { left: r.left, top: r.top, width: r.width, height: r.height },
        W::Rotate(r) => Step::Rotate { degrees: r.degrees, background: rgba(r.background) },
        W::Flip => Step::Flip,
        W::Flop => Step::Flop,
        W::Pad(p) => Step::Pad(Padding {
            top: p.top,
            right: p.right,
            bottom: p.bottom,
            left: p.left,
            background: rgba(p.background),
        }),
        W::Trim(t) => Step::Trim(Trim {
            background: t.background.map(rgba),
            threshold: t.threshold,
            line_art: t.line_art,
            margin: t.margin,
        }),
        W::Blur(sigma) => Step::Blur { sigma },
        W::BoxBlur(radius) => Step::BoxBlur { radius },
        W::Sharpen(s) => Step::Sharpen { sigma: s.sigma, amount: s.amount },
        W::Convolve(k) => Step::Convolve(Kernel { size: k.size, weights: k.weights, scale: k.scale, offset: k.offset }),
        W::Sobel => Step::Sobel,
        W::Median(size) => Step::Median { size },
        W::Grayscale => Step::Grayscale,
        W::Brightness(factor) => Step::Brightness { factor },
        W::Contrast(factor) => Step::Contrast { factor },
        W::Linear(l) => Step::Linear { a: [l.a.0, l.a.1, l.a.2], b: [l.b.0, l.b.1, l.b.2] },
        W::Gamma(gamma) => Step::Gamma { gamma },
        W::Saturate(factor) => Step::Saturate { factor },
        W::Hue(degrees) => Step::Hue { degrees },
        W::Modulate(m) => {
            Step::Modulate { brightness: m.brightness, saturation: m.saturation, hue: m.hue, lightness: m.lightness }
        }
        W::Normalise((lower, upper)) => Step::Normalise { lower, upper },
        W::Sepia => Step::Sepia,
        W::Recomb((r, g, b)) => Step::Recomb { matrix: [r, g, b].map(|(x, y, z)| [x, y, z]) },
        W::ExtractChannel(channel) => Step::ExtractChannel { channel },
        W::Unflatten => Step::Unflatten,
        W::Invert => Step::Invert { alpha: false },
        W::Threshold(level) => Step::Threshold { level },
        W::Tint(c) => Step::Tint { rgb: rgb(c) },
        W::Flatten(c) => Step::Flatten { background: rgb(c) },
        W::RemoveAlpha => Step::RemoveAlpha,
        W::EnsureAlpha(alpha) => Step::EnsureAlpha { alpha },
        W::Composite(c) => Step::Composite {
            // u32 always fits usize on the targets this builds for.
            index: usize::try_from(c.index).unwrap_or(usize::MAX),
            // WIT's gravity wins over its (always present) offset.
            left: c.gravity.is_none().then_some(c.left),
            top: c.gravity.is_none().then_some(c.top),
            gravity: c.gravity.map(|g| match g {
                wit::Gravity::Centre => Gravity::Centre,
                wit::Gravity::North => Gravity::North,
                wit::Gravity::NorthEast => Gravity::NorthEast,
                wit::Gravity::East => Gravity::East,
                wit::Gravity::SouthEast => Gravity::SouthEast,
                wit::Gravity::South => Gravity::South,
                wit::Gravity::SouthWest => Gravity::SouthWest,
                wit::Gravity::West => Gravity::West,
                wit::Gravity::NorthWest => Gravity::NorthWest,
            }),
            blend: blend(c.blend),
            raw: None,
            tile: false,
        },
    }
}

fn blend(blend: wit::Blend) -> Blend {
    match blend {
        wit::Blend::Clear => Blend::Clear,
        wit::Blend::Source => Blend::Source,
        wit::Blend::Over => Blend::Over,
        wit::Blend::In => Blend::In,
        wit::Blend::Out => Blend::Out,
        wit::Blend::Atop => Blend::Atop,
        wit::Blend::Dest => Blend::Dest,
        wit::Blend::DestOver => Blend::DestOver,
        wit::Blend::DestIn => Blend::DestIn,
        wit::Blend::DestOut => Blend::DestOut,
        wit::Blend::DestAtop => Blend::DestAtop,
        wit::Blend::Xor => Blend::Xor,
        wit::Blend::Add => Blend::Add,
        wit::Blend::Saturate => Blend::Saturate,
        wit::Blend::Multiply => Blend::Multiply,
        wit::Blend::Screen => Blend::Screen,
        wit::Blend::Overlay => Blend::Overlay,
        wit::Blend::Darken => Blend::Darken,
        wit::Blend::Lighten => Blend::Lighten,
        wit::Blend::ColourDodge => Blend::ColourDodge,
        wit::Blend::ColourBurn => Blend::ColourBurn,
        wit::Blend::HardLight => Blend::HardLight,
        wit::Blend::SoftLight => Blend::SoftLight,
        wit::Blend::Difference => Blend::Difference,
        wit::Blend::Exclusion => Blend::Exclusion,
    }
}

fn target(output: wit::OutputOptions) -> Target {
    Target::Encoded {
        format: output.format.map(format),
        quality: output.quality,
        progressive: output.progressive,
        compression: output.compression,
        chroma: match output.chroma_subsampling {
            wit::ChromaSubsampling::Chroma420 => ChromaSubsampling::Half,
            wit::ChromaSubsampling::Chroma444 => ChromaSubsampling::Full,
        },
        palette: output.palette.map(|p| Palette { colours: p.colours, dither: p.dither }),
    }
}

fn encoded(output: Output) -> Result<wit::EncodedOutput, Error> {
    let format = output.format.ok_or_else(|| Error::Internal("an encoded job returned no format".into()))?;
    Ok(wit::EncodedOutput {
        bytes: output.bytes,
        format: wit_format(format),
        width: output.width,
        height: output.height,
        channels: output.channels,
    })
}

fn raw_image(image: wit::RawImage) -> Result<Image, Error> {
    Image::from_rgba(image.width, image.height, image.pixels, &Limits::DEFAULT).map_err(wit_error)
}

fn info(info: Info) -> wit::ImageInfo {
    wit::ImageInfo {
        format: wit_format(info.format),
        width: info.width,
        height: info.height,
        channels: info.channels,
        bit_depth: info.bit_depth,
        has_alpha: info.has_alpha,
        orientation: info.orientation,
        palette: info.palette,
        progressive: info.progressive,
    }
}

impl wit::Guest for Component {
    fn info(input: Vec<u8>) -> Result<wit::ImageInfo, Error> {
        codec::probe(&input).map(info).map_err(wit_error)
    }

    fn pipeline(
        input: Vec<u8>,
        steps: Vec<wit::Step>,
        output: wit::OutputOptions,
    ) -> Result<wit::EncodedOutput, Error> {
        let job = Job { steps: steps.into_iter().map(step).collect(), target: target(output), ..Job::default() };
        encoded(pipeline::run(&job, &input, &[]).map_err(wit_error)?)
    }

    fn pipeline_with(
        input: Vec<u8>,
        steps: Vec<wit::Step>,
        output: wit::OutputOptions,
        options: wit::JobOptions,
    ) -> Result<wit::EncodedOutput, Error> {
        let job = Job {
            steps: steps.into_iter().map(step).collect(),
            target: target(output),
            auto_orient: options.auto_orient,
            shrink_on_load: options.shrink_on_load,
            limits: options.max_pixels.map_or(Limits::DEFAULT, |max_pixels| Limits { max_pixels }),
        };
        let overlays: Vec<&[u8]> = options.overlays.iter().map(Vec::as_slice).collect();
        encoded(pipeline::run(&job, &input, &overlays).map_err(wit_error)?)
    }

    fn process(image: wit::RawImage, steps: Vec<wit::Step>) -> Result<wit::RawImage, Error> {
        let job = Job { steps: steps.into_iter().map(step).collect(), target: Target::RAW_RGBA8, ..Job::default() };
        let output = pipeline::run_image(&job, raw_image(image)?, true, &[]).map_err(wit_error)?;
        Ok(wit::RawImage { width: output.width, height: output.height, pixels: output.bytes })
    }

    fn decode(input: Vec<u8>) -> Result<wit::RawImage, Error> {
        let (image, _) = codec::decode(&input, &codec::DecodeOptions::default()).map_err(wit_error)?;
        Ok(wit::RawImage { width: image.width, height: image.height, pixels: image.pixels })
    }

    fn encode(image: wit::RawImage, output: wit::OutputOptions) -> Result<Vec<u8>, Error> {
        let options =
            target(output).encode_options(Format::Png).ok_or_else(|| Error::Internal("no encoder settings".into()))?;
        codec::encode(&raw_image(image)?, &options).map_err(wit_error)
    }

    fn transform(input: Vec<u8>, query: String) -> Result<Vec<u8>, Error> {
        let job = nearnative_edge::image_job(&query).map_err(wit_error)?;
        Ok(pipeline::run(&job, &input, &[]).map_err(wit_error)?.bytes)
    }
}

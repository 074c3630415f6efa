//! JPEG files from encoders other than Pillow's (see `data/jpeg/README.md`), decoded exactly
//! as libjpeg-turbo decodes them.

use nearnative_image::{decode, DecodeOptions};

#[test]
fn files_from_other_encoders_decode_to_libjpeg_turbos_samples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/jpeg");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "jpg") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let zz = std::fs::read(format!("{}.rgb.zz", path.display())).unwrap();
        let want = miniz_oxide::inflate::decompress_to_vec_zlib(&zz).unwrap();
        let (image, _) = decode(&bytes, &DecodeOptions::default()).unwrap();
        let got: Vec<u8> = image.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        assert_eq!(got.len(), want.len(), "{}", path.display());
        let differing = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{}: {differing} samples differ from libjpeg-turbo", path.display());
        checked += 1;
    }
    assert_eq!(checked, 3);
}

use anyhow::Result;
pub fn run() -> Result<()> {
    anyhow::bail!("tidy: not written yet")
}

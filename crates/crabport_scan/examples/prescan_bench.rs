#![allow(clippy::unwrap_used, clippy::print_stdout)]
fn main() {
    let root = std::env::args().nth(1).unwrap();
    let files = crabport_scan::walk::source_files(&[root.into()], &[]).unwrap();
    let sources: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let bytes: usize = sources.iter().map(|s| s.len()).sum();
    parse_all(&sources);
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let mut n = 0;
        for s in &sources {
            if crabport_scan::depth::too_deep(s, 1000).is_some() {
                n += 1;
            }
        }
        let e = t.elapsed();
        println!(
            "{} files {} MB: {:?} ({:.0} MB/s) deep={n}",
            sources.len(),
            bytes >> 20,
            e,
            bytes as f64 / e.as_secs_f64() / 1e6
        );
    }
}
#[allow(dead_code)]
fn parse_all(sources: &[String]) {
    let t = std::time::Instant::now();
    for s in sources {
        let a = oxc_allocator::Allocator::default();
        let p = oxc_parser::Parser::new(&a, s, oxc_span::SourceType::tsx()).parse();
        std::hint::black_box(&p.program);
    }
    println!("parse: {:?}", t.elapsed());
}

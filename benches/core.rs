//! How long the pure core takes on each example: parse, validate, cost, and render both
//! documents. Run with `cargo bench --bench core`; the README quotes its output.

use std::path::Path;
use std::time::{Duration, Instant};

use ddb_architect::cost::{self, PriceFile};
use ddb_architect::render::docs;
use ddb_architect::{design, rules};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    paths.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "json"));
    paths.sort();
    let prices = PriceFile::built_in()
        .and_then(|f| f.region("us-east-1", "built-in"))
        .expect("built-in prices");
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "example", "parse", "validate", "cost", "render", "total"
    );
    for p in &paths {
        let text = std::fs::read_to_string(p).expect("example");
        let runs = 200;
        let (mut parse, mut validate, mut costing, mut render, mut total) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let t0 = Instant::now();
            let d = design::parse(&text).expect("parse");
            let t1 = Instant::now();
            let report = rules::check(&d);
            let t2 = Instant::now();
            let c = cost::estimate(&d, &prices);
            let t3 = Instant::now();
            let s1 = docs::stage1(&d).expect("stage1");
            let s2 = docs::stage2(&d).expect("stage2");
            let t4 = Instant::now();
            std::hint::black_box((report, c, s1, s2));
            parse.push(t1 - t0);
            validate.push(t2 - t1);
            costing.push(t3 - t2);
            render.push(t4 - t3);
            total.push(t4 - t0);
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1000.0);
        println!(
            "{:<22} {:>10} {:>10} {:>10} {:>10} {:>10}",
            name,
            ms(median(parse)),
            ms(median(validate)),
            ms(median(costing)),
            ms(median(render)),
            ms(median(total))
        );
    }
    println!("(median of 200 runs each, release build)");
}

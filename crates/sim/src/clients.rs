//! Client organisations and the data each host holds about them (`data.csv`).
//!
//! Names are synthetic: a place-like word, an industry and a legal form typical of the
//! country ("Kaito Logistics K.K.", "Straits Marine Pte. Ltd."), drawn deterministically.

use rand::seq::SliceRandom;
use rand::Rng as _;

use crate::rng::Rng;

const STYLES: &[(&[&str], &[&str], &[&str])] = &[
    (
        &[
            "Kaito",
            "Sakura",
            "Hikari",
            "Asahi",
            "Fujimi",
            "Midori",
            "Kizuna",
            "Tsubasa",
            "Yamabuki",
            "Minato",
            "Aozora",
            "Shinsei",
            "Kohaku",
            "Hoshino",
            "Ginga",
            "Kawasemi",
            "Tokiwa",
            "Hayate",
            "Seiran",
            "Akatsuki",
            "Shirakaba",
            "Momiji",
            "Kagayaki",
            "Nagisa",
        ],
        &[
            "Logistics",
            "Trading",
            "Electronics",
            "Systems",
            "Holdings",
            "Foods",
            "Pharma",
            "Securities",
            "Engineering",
            "Telecom",
            "Marine",
            "Realty",
        ],
        &["K.K.", "Co., Ltd."],
    ),
    (
        &[
            "Pinecrest",
            "Harborview",
            "Redwood",
            "Summit Ridge",
            "Lakeside",
            "Ironbridge",
            "Bluewater",
            "Granite Peak",
            "Northstar",
            "Cedar Hollow",
            "Silver Creek",
            "Prairie Wind",
            "Copper Canyon",
            "Maple Grove",
            "Stonegate",
            "Eagle Bend",
            "Riverbend",
        ],
        &[
            "Logistics",
            "Health",
            "Capital",
            "Energy",
            "Systems",
            "Foods",
            "Media",
            "Insurance",
            "Manufacturing",
            "Networks",
        ],
        &["Inc.", "LLC"],
    ),
    (
        &[
            "Lion Gate",
            "Straits",
            "Marina Crest",
            "Orchid Bay",
            "Merlion Point",
            "Kallang",
            "Serangoon",
            "Tanjong",
            "Bukit Rise",
            "Sentosa Cove",
            "Pasir Light",
            "Changi Link",
        ],
        &["Marine", "Capital", "Trading", "Data", "Shipping", "Health", "Foods", "Electronics"],
        &["Pte. Ltd."],
    ),
    (
        &[
            "Siam Lotus",
            "Chao Phraya",
            "Lanna",
            "Ratchada",
            "Sukhumvit",
            "Andaman",
            "Isan Star",
            "Mekong Gate",
            "Golden Naga",
            "Silom",
            "Krungthep Ruby",
            "Ayutthaya",
        ],
        &[
            "Industries",
            "Trading",
            "Foods",
            "Telecom",
            "Logistics",
            "Textiles",
            "Energy",
            "Auto Parts",
        ],
        &["Co., Ltd.", "Public Co., Ltd."],
    ),
    (
        &[
            "Rheinblick",
            "Alpenglanz",
            "Nordlicht",
            "Spreetal",
            "Elbwerk",
            "Schwarzwald",
            "Havelland",
            "Mainufer",
            "Moselgrund",
            "Isartal",
            "Weserland",
            "Harzblick",
        ],
        &[
            "Maschinenbau",
            "Logistik",
            "Versicherung",
            "Energie",
            "Systeme",
            "Handel",
            "Chemie",
            "Medien",
        ],
        &["GmbH", "AG"],
    ),
    (
        &[
            "Southern Cross",
            "Coral Coast",
            "Eucalypt",
            "Harbourside",
            "Red Centre",
            "Wattle Creek",
            "Blue Gum",
            "Kookaburra",
            "Ironbark",
            "Tasman Ridge",
        ],
        &["Mining", "Logistics", "Health", "Energy", "Agribusiness", "Systems", "Finance"],
        &["Pty Ltd"],
    ),
];

/// Restricted clients: defence communications and government bodies that must never be named
/// in a disclosure.
pub const RESTRICTED: &[(&str, &str)] = &[
    ("Defence Communications Command 1", "defence-communications"),
    ("Defence Communications Command 2", "defence-communications"),
    ("Defence Line Maintenance Unit", "defence-communications"),
    ("Defence Satellite Link Office", "defence-communications"),
    ("Government Secure Network Office", "government-communications"),
    ("Prefectural Emergency Communications Bureau", "government-communications"),
    ("National Disaster Network Agency", "government-communications"),
];

/// Ordinary data classes.
pub const CLASSES: &[&str] =
    &["customer-contacts", "contracts", "billing", "network-configuration"];

/// `n` distinct client names in a deterministic order.
pub fn client_names(r: &mut Rng, n: usize) -> Vec<String> {
    let mut all = Vec::new();
    for (places, trades, forms) in STYLES {
        for p in *places {
            for t in *trades {
                let f = forms[(p.len() + t.len()) % forms.len()];
                all.push(format!("{p} {t} {f}"));
            }
        }
    }
    all.shuffle(r);
    let base = all.len();
    let mut out: Vec<String> = all.iter().take(n).cloned().collect();
    let mut k = 2;
    while out.len() < n {
        // more clients than combinations: numbered regional branches
        for name in all.iter().take(n - out.len()) {
            out.push(format!("{name} (branch {k})"));
        }
        k += 1;
        let _ = base;
    }
    out
}

/// One row of `data.csv`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Holding {
    pub host: String,
    pub client: String,
    pub data_class: String,
    pub records: u64,
    pub restricted: bool,
}

/// Holdings of `count` clients on `host` drawn from `pool`, one row per client.
pub fn holdings(r: &mut Rng, host: &str, pool: &[String], count: usize) -> Vec<Holding> {
    pool.choose_multiple(r, count.min(pool.len()))
        .map(|c| Holding {
            host: host.to_string(),
            client: c.clone(),
            data_class: CLASSES.choose(r).expect("classes").to_string(),
            records: r.gen_range(20..50_000),
            restricted: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_deterministic() {
        let a = client_names(&mut crate::rng::rng(1, crate::rng::Stream::Clients, 0, 0), 1500);
        let b = client_names(&mut crate::rng::rng(1, crate::rng::Stream::Clients, 0, 0), 1500);
        assert_eq!(a, b);
        let set: std::collections::BTreeSet<_> = a.iter().collect();
        assert_eq!(set.len(), 1500);
    }
}

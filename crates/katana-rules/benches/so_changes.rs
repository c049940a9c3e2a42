//! The cost of one SO change against a Katana holding N MOs. Target (issue 2): the
//! cost depends on the MOs a change affects, not on how many exist — 100,000 MOs
//! within 2× of 100 MOs per change.

#![allow(missing_docs)]

use divan::Bencher;
use jiff::Timestamp;
use katana_rules::{Katana, MoId, MoStatus, NewMo, NewMoKind, NewRow, RowRef, SoChange};

fn main() {
    divan::main();
}

const NOW: Timestamp = Timestamp::constant(1_767_258_000, 0);

/// `mos` MOs: half make-to-order (one per SO, each SO with one row), half make-to-stock.
fn katana_with(mos: u64) -> Katana {
    let mut k = Katana::new();
    for i in 0..mos {
        let kind = if i % 2 == 0 {
            let order = 10_000 + i;
            let rows = vec![NewRow {
                line: i,
                sku: format!("SKU-{i}"),
                quantity: 5,
            }];
            k.apply(
                &SoChange::Import {
                    order,
                    number: format!("#{order}"),
                    rows,
                },
                NOW,
            )
            .unwrap();
            NewMoKind::MakeToOrder(RowRef { order, line: i })
        } else {
            NewMoKind::MakeToStock {
                sku: format!("SKU-{i}"),
                quantity: 5,
            }
        };
        k.create_mo(&NewMo {
            id: MoId::new(format!("MO-{i}")),
            kind,
            status: MoStatus::NotStarted,
        })
        .unwrap();
    }
    k
}

/// A quantity change on a row whose not-started MTO MO follows it (SO row and MO
/// both change), alternating 5 → 6 → 5 so every iteration does the same work.
#[divan::bench(args = [100, 1_000, 100_000])]
fn row_quantity_change_with_mo(bencher: Bencher, mos: u64) {
    let mut k = katana_with(mos);
    let order = 10_000 + mos / 2 / 2 * 2; // an MTO row in the middle
    let line = order - 10_000;
    let mut q = 5;
    bencher.bench_local(|| {
        q = if q == 5 { 6 } else { 5 };
        k.apply(
            &SoChange::SetRowQuantity {
                order,
                line,
                quantity: q,
            },
            NOW,
        )
        .unwrap()
    });
}

/// Reading one MO's detail view and the Schedule's open-message state of one MO.
#[divan::bench(args = [100, 1_000, 100_000])]
fn mo_lookup(bencher: Bencher, mos: u64) {
    let k = katana_with(mos);
    let id = MoId::new(format!("MO-{}", mos / 2));
    bencher.bench_local(|| k.mo_detail(divan::black_box(&id)));
}

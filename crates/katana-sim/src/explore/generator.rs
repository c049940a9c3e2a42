//! The generator's source of choices and its picture of the world.
//!
//! Every choice comes from a ChaCha8 stream seeded with the run's seed and the
//! case's number, through [`Gen::below`] (a plain `next_u64() % n`, so the stream
//! of cases is the same on every platform and every release of this tool). The
//! picture of the world is approximate — refused steps are pinned afterwards as
//! `expect_error` — and only aims the steps at interesting values.

use katana_rules::{Delivery, MoId, MoStatus, RowRef};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use shopify_model::{FinancialStatus, MAX_LINE_QUANTITY, NewLine};

/// One line as the generator pictures it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenLine {
    /// The line item id.
    pub id: u64,
    /// Its SKU.
    pub sku: String,
    /// Units now, as far as the generator knows.
    pub quantity: u32,
    /// Units fulfilled, as far as the generator knows.
    pub fulfilled: u32,
}

impl From<&NewLine> for GenLine {
    /// A line as created: its quantity and fulfilled units as given.
    fn from(l: &NewLine) -> Self {
        Self {
            id: l.id,
            sku: l.sku.clone(),
            quantity: l.quantity,
            fulfilled: l.fulfilled,
        }
    }
}

/// One order as the generator pictures it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOrder {
    /// The order id.
    pub id: u64,
    /// Its lines.
    pub lines: Vec<GenLine>,
    /// Imported into Katana at some point (so its rows can get MOs).
    pub imported: bool,
}

/// The generator: a seeded stream of choices and the world it has made so far.
pub struct Gen {
    rng: ChaCha8Rng,
    /// Orders known so far (set-up and created by steps).
    pub orders: Vec<GenOrder>,
    /// MO ids known so far.
    pub mos: Vec<MoId>,
    next_order: u64,
    next_line: u64,
    next_mo: u64,
}

const SKUS: [&str; 5] = [
    "OAK-TABLE",
    "OAK-CHAIR",
    "OAK-BENCH",
    "PINE-SHELF",
    "ASH-DESK",
];

impl Gen {
    /// The generator of case `case` of the run seeded with `seed`.
    pub fn new(seed: u64, case: u64) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..16].copy_from_slice(&case.to_le_bytes());
        key[16..24].copy_from_slice(b"katana-x");
        Self {
            rng: ChaCha8Rng::from_seed(key),
            orders: Vec::new(),
            mos: Vec::new(),
            next_order: 1001,
            next_line: 11,
            next_mo: 1,
        }
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.rng.next_u64() % n
    }

    /// True `percent` times in 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One of `items`.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        let i = self.below(items.len() as u64);
        items.get(i as usize).copied()
    }

    /// A SKU from a small pool (so MOs and lines share products).
    pub fn sku(&mut self) -> String {
        self.pick(&SKUS).unwrap_or("OAK-TABLE").to_string()
    }

    /// A fresh order id.
    pub fn new_order_id(&mut self) -> u64 {
        let id = self.next_order;
        self.next_order += 1;
        id
    }

    /// A fresh line item id (unique in the store).
    pub fn new_line_id(&mut self) -> u64 {
        let id = self.next_line;
        self.next_line += 1;
        id
    }

    /// A fresh MO id.
    pub fn new_mo_id(&mut self) -> MoId {
        let id = MoId::new(format!("MO-{}", self.next_mo));
        self.next_mo += 1;
        id
    }

    /// Any known order.
    pub fn order(&mut self) -> Option<u64> {
        let i = self.below(self.orders.len() as u64) as usize;
        self.orders.get(i).map(|o| o.id)
    }

    /// Any known line, with its order.
    pub fn line(&mut self) -> Option<(u64, GenLine)> {
        let all: Vec<(u64, GenLine)> = self
            .orders
            .iter()
            .flat_map(|o| o.lines.iter().map(|l| (o.id, l.clone())))
            .collect();
        let i = self.below(all.len() as u64) as usize;
        all.get(i).cloned()
    }

    /// Every row of the orders imported at some point, in order.
    pub fn imported_rows(&self) -> Vec<RowRef> {
        self.orders
            .iter()
            .filter(|o| o.imported)
            .flat_map(|o| {
                o.lines.iter().map(|l| RowRef {
                    order: o.id,
                    line: l.id,
                })
            })
            .collect()
    }

    /// A row of an order imported at some point (for MTO MOs and deliveries).
    pub fn imported_row(&mut self) -> Option<RowRef> {
        let all = self.imported_rows();
        let i = self.below(all.len() as u64) as usize;
        all.get(i).copied()
    }

    /// Any known MO.
    pub fn mo(&mut self) -> Option<MoId> {
        let i = self.below(self.mos.len() as u64) as usize;
        self.mos.get(i).cloned()
    }

    /// A quantity aimed at the interesting values for `line`: its fulfilled units,
    /// 0, one below or above it, the same, or a few more.
    pub fn quantity_for(&mut self, line: &GenLine) -> u32 {
        let choices = [
            line.fulfilled,
            0,
            line.quantity.saturating_sub(1),
            line.quantity,
            line.quantity.saturating_add(1),
            line.quantity.saturating_add(3),
            line.fulfilled.saturating_add(1),
            1 + self.below(6) as u32,
        ];
        self.pick(&choices).unwrap_or(1).min(MAX_LINE_QUANTITY)
    }

    /// An MO status, each equally likely.
    pub fn status(&mut self) -> MoStatus {
        self.pick(&MoStatus::ALL).unwrap_or(MoStatus::NotStarted)
    }

    /// A delivery status.
    pub fn delivery(&mut self) -> Delivery {
        self.pick(&Delivery::ALL).unwrap_or(Delivery::NotShipped)
    }

    /// A financial status: mostly paid, sometimes pending, now and then another.
    pub fn financial_status(&mut self) -> FinancialStatus {
        match self.below(10) {
            0..=5 => FinancialStatus::Paid,
            6 | 7 => FinancialStatus::Pending,
            _ => self
                .pick(&FinancialStatus::ALL)
                .unwrap_or(FinancialStatus::Paid),
        }
    }

    /// Records a line's new quantity.
    pub fn set_quantity(&mut self, order: u64, line: u64, quantity: u32) {
        if let Some(l) = self.line_mut(order, line) {
            l.quantity = quantity;
        }
    }

    /// Records fulfilled units.
    pub fn fulfil(&mut self, order: u64, line: u64, units: u32) {
        if let Some(l) = self.line_mut(order, line) {
            l.fulfilled = l.fulfilled.saturating_add(units).min(l.quantity);
        }
    }

    /// Records a new line of an order.
    pub fn add_line(&mut self, order: u64, line: GenLine) {
        if let Some(o) = self.orders.iter_mut().find(|o| o.id == order) {
            o.lines.push(line);
        }
    }

    /// Records that an order was imported (e.g. paid).
    pub fn imported(&mut self, order: u64) {
        if let Some(o) = self.orders.iter_mut().find(|o| o.id == order) {
            o.imported = true;
        }
    }

    fn line_mut(&mut self, order: u64, line: u64) -> Option<&mut GenLine> {
        self.orders
            .iter_mut()
            .find(|o| o.id == order)?
            .lines
            .iter_mut()
            .find(|l| l.id == line)
    }
}

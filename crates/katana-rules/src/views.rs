//! What the user sees (rules.md §6): the Schedule with its amber indicators and
//! "unlinked" filter, and the MO detail view with its banner and message history.

use std::fmt;

use crate::katana::Katana;
use crate::model::{Message, MessageState, Mo, UnlinkReason};
use crate::types::{MoId, ProductionType};

/// One line of the Schedule (Make screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleLine {
    /// The MO.
    pub mo: MoId,
    /// True when the amber indicator shows in front of the MO number.
    pub amber: bool,
    /// The indicator's hover text, when it shows.
    pub hover: Option<String>,
    /// SKU.
    pub sku: String,
    /// Planned quantity.
    pub quantity: u32,
    /// Status label as the Schedule shows it, e.g. "Work in progress".
    pub status: &'static str,
    /// "Make-to-order for #1001" or "Make-to-stock".
    pub production: String,
}

impl fmt::Display for ScheduleLine {
    /// `⚠ MO-1 · OAK-TABLE × 5 · Work in progress · Make-to-stock · hover: "…"`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.amber {
            f.write_str("⚠ ")?;
        }
        write!(
            f,
            "{} · {} × {} · {} · {}",
            self.mo, self.sku, self.quantity, self.status, self.production
        )?;
        if let Some(h) = &self.hover {
            write!(f, " · hover: \"{h}\"")?;
        }
        Ok(())
    }
}

/// The action buttons of the MO detail view's banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// **Update MO quantity** (`update_mo_quantity`).
    UpdateMoQuantity,
    /// **Keep current MO quantity** (`keep_mo_quantity`).
    KeepMoQuantity,
    /// **Close** (`dismiss`).
    Dismiss,
}

impl Action {
    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Self::UpdateMoQuantity => "Update MO quantity",
            Self::KeepMoQuantity => "Keep current MO quantity",
            Self::Dismiss => "Close",
        }
    }

    /// What the action does, for a refusal: "nothing to update (Update MO quantity)".
    pub fn verb(self) -> &'static str {
        match self {
            Self::UpdateMoQuantity => "update (Update MO quantity)",
            Self::KeepMoQuantity => "keep (Keep current MO quantity)",
            Self::Dismiss => "dismiss (Close)",
        }
    }

    /// The scenario step that presses it.
    pub fn step(self) -> &'static str {
        match self {
            Self::UpdateMoQuantity => "update_mo_quantity",
            Self::KeepMoQuantity => "keep_mo_quantity",
            Self::Dismiss => "dismiss",
        }
    }
}

/// The banner at the top of the MO detail view while a message is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// The open message's text.
    pub text: String,
    /// Its actions.
    pub actions: Vec<Action>,
}

/// The MO detail view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoDetail {
    /// The MO.
    pub mo: MoId,
    /// The banner, while a message is open.
    pub banner: Option<Banner>,
    /// Every message, oldest first, as listed at the bottom of the view.
    pub history: Vec<String>,
}

/// The actions a message offers while it is open.
pub fn actions_for(message: &Message) -> Vec<Action> {
    match message.reason {
        UnlinkReason::SoQuantityChanged { .. } => {
            vec![Action::UpdateMoQuantity, Action::KeepMoQuantity]
        }
        UnlinkReason::SoDeleted { .. } => vec![Action::Dismiss],
    }
}

/// One line of the message history: `#1 2026-01-01T09:01:00Z open: Sales order #1001 …`.
pub fn history_line(message: &Message) -> String {
    let state = match message.state {
        MessageState::Open => "open".to_string(),
        MessageState::Resolved { resolution, at } => {
            format!("resolved {} at {at}", resolution.as_str())
        }
    };
    format!(
        "#{} {} {}: {}",
        message.seq,
        message.at,
        state,
        message.text()
    )
}

fn production(mo: &Mo, katana: &Katana) -> String {
    match (mo.production_type(), mo.link) {
        (ProductionType::MakeToOrder, Some(row)) => {
            let number = katana
                .sales_order(row.order)
                .map(|so| so.number.clone())
                .unwrap_or_else(|| format!("#{}", row.order));
            format!("Make-to-order for {number} row {}", row.line)
        }
        _ => "Make-to-stock".to_string(),
    }
}

impl Katana {
    /// The Schedule: one line per MO in natural id order.
    pub fn schedule(&self) -> Vec<ScheduleLine> {
        self.mos()
            .into_iter()
            .map(|mo| {
                let open = mo.open_message();
                ScheduleLine {
                    mo: mo.id.clone(),
                    amber: open.is_some(),
                    hover: open.map(Message::text),
                    sku: mo.sku.clone(),
                    quantity: mo.quantity,
                    status: mo.status.label(),
                    production: production(mo, self),
                }
            })
            .collect()
    }

    /// The Schedule's "unlinked" filter: the MOs that carry the amber indicator.
    pub fn unlinked_filter(&self) -> Vec<MoId> {
        self.mos()
            .into_iter()
            .filter(|mo| mo.open_message().is_some())
            .map(|mo| mo.id.clone())
            .collect()
    }

    /// The MO detail view, if the MO exists.
    pub fn mo_detail(&self, id: &MoId) -> Option<MoDetail> {
        let mo = self.mo(id)?;
        Some(MoDetail {
            mo: mo.id.clone(),
            banner: mo.open_message().map(|m| Banner {
                text: m.text(),
                actions: actions_for(m),
            }),
            history: mo.messages.iter().map(history_line).collect(),
        })
    }
}

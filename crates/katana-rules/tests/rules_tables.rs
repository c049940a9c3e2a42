//! One test per row of rules.md's tables on Katana's side (§5 SO change → MO change,
//! §6 what the user sees, §7 user actions), through one `world` helper and a few
//! `check_*` helpers, in the style of rust-analyzer's data-driven tests.

use jiff::Timestamp;
use katana_rules::*;

const ORDER: OrderId = 1001;
const LINE: LineId = 11;
const ROW: RowRef = RowRef {
    order: ORDER,
    line: LINE,
};

fn t(minute: i64) -> Timestamp {
    Timestamp::from_second(1_767_258_000 + 60 * minute).unwrap()
}

fn mo_id(s: &str) -> MoId {
    MoId::new(s)
}

/// Katana with SO #1001 (row 11: OAK-TABLE × 5, row 12: OAK-CHAIR × 4), an MO on
/// row 11 of the given type and status, and an MTS MO-9 that must never change.
fn world(mto: bool, status: MoStatus) -> Katana {
    let mut k = Katana::new();
    k.apply(
        &SoChange::Import {
            order: ORDER,
            number: "#1001".into(),
            rows: vec![
                NewRow {
                    line: LINE,
                    sku: "OAK-TABLE".into(),
                    quantity: 5,
                },
                NewRow {
                    line: 12,
                    sku: "OAK-CHAIR".into(),
                    quantity: 4,
                },
            ],
        },
        t(0),
    )
    .unwrap();
    let kind = if mto {
        NewMoKind::MakeToOrder(ROW)
    } else {
        NewMoKind::MakeToStock {
            sku: "OAK-TABLE".into(),
            quantity: 5,
        }
    };
    k.create_mo(&NewMo {
        id: mo_id("MO-1"),
        kind,
        status,
    })
    .unwrap();
    k.create_mo(&NewMo {
        id: mo_id("MO-9"),
        kind: NewMoKind::MakeToStock {
            sku: "OAK-TABLE".into(),
            quantity: 10,
        },
        status: MoStatus::InProgress,
    })
    .unwrap();
    k
}

fn mo<'a>(k: &'a Katana, id: &str) -> &'a Mo {
    k.mo(&mo_id(id)).unwrap()
}

fn assert_mo9_untouched(k: &Katana) {
    let m = mo(k, "MO-9");
    assert_eq!((m.quantity, m.link, m.messages.len()), (10, None, 0));
}

fn qty_change() -> SoChange {
    SoChange::SetRowQuantity {
        order: ORDER,
        line: LINE,
        quantity: 3,
    }
}

fn row_delete() -> SoChange {
    SoChange::DeleteRow {
        order: ORDER,
        line: LINE,
    }
}

fn so_delete() -> SoChange {
    SoChange::DeleteSo { order: ORDER }
}

const STARTED: [MoStatus; 4] = [
    MoStatus::Blocked,
    MoStatus::InProgress,
    MoStatus::PartiallyComplete,
    MoStatus::Done,
];

// ---- §5, row "MTS, any status" ----

#[test]
fn mts_any_status_quantity_change_does_nothing_to_the_mo() {
    for status in MoStatus::ALL {
        let mut k = world(false, status);
        let fx = k.apply(&qty_change(), t(1)).unwrap();
        assert_eq!(k.row(ROW).unwrap().quantity, 3);
        let m = mo(&k, "MO-1");
        assert_eq!(
            (m.quantity, m.status, m.link, m.messages.len()),
            (5, status, None, 0),
            "{status}"
        );
        assert!(fx.iter().all(|e| !matches!(
            e,
            Effect::MoQuantityChanged { .. } | Effect::MoUnlinked { .. }
        )));
        assert_mo9_untouched(&k);
    }
}

#[test]
fn mts_any_status_row_or_so_deletion_does_nothing_to_the_mo() {
    for status in MoStatus::ALL {
        for change in [row_delete(), so_delete()] {
            let mut k = world(false, status);
            k.apply(&change, t(1)).unwrap();
            let m = mo(&k, "MO-1");
            assert_eq!((m.quantity, m.status, m.messages.len()), (5, status, 0));
            assert_mo9_untouched(&k);
        }
    }
}

// ---- §5, row "MTO, not_started" ----

#[test]
fn mto_not_started_follows_the_new_row_quantity_and_notifies_nobody() {
    let mut k = world(true, MoStatus::NotStarted);
    let fx = k.apply(&qty_change(), t(1)).unwrap();
    let m = mo(&k, "MO-1");
    assert_eq!((m.quantity, m.link, m.messages.len()), (3, Some(ROW), 0));
    assert_eq!(m.indicator(), Indicator::None);
    assert!(fx.contains(&Effect::MoQuantityChanged {
        mo: mo_id("MO-1"),
        from: 5,
        to: 3
    }));
    assert_mo9_untouched(&k);
}

#[test]
fn mto_not_started_is_deleted_with_its_row() {
    let mut k = world(true, MoStatus::NotStarted);
    let fx = k.apply(&row_delete(), t(1)).unwrap();
    assert!(k.mo(&mo_id("MO-1")).is_none());
    assert!(fx.contains(&Effect::MoDeleted { mo: mo_id("MO-1") }));
    assert!(k.sales_order(ORDER).unwrap().rows.contains_key(&12));
    assert_mo9_untouched(&k);
}

#[test]
fn mto_not_started_is_deleted_with_its_so() {
    let mut k = world(true, MoStatus::NotStarted);
    k.apply(&so_delete(), t(1)).unwrap();
    assert!(k.mo(&mo_id("MO-1")).is_none());
    assert!(k.sales_order(ORDER).is_none());
    assert_mo9_untouched(&k);
}

// ---- §5, row "MTO, blocked / in_progress / partially_complete / done" ----

#[test]
fn mto_started_is_unlinked_on_quantity_change_with_a_message() {
    for status in STARTED {
        let mut k = world(true, status);
        let fx = k.apply(&qty_change(), t(1)).unwrap();
        let m = mo(&k, "MO-1");
        assert_eq!(
            (m.quantity, m.status, m.link),
            (5, status, None),
            "{status}"
        );
        assert_eq!(m.production_type(), ProductionType::MakeToStock);
        assert_eq!(m.indicator(), Indicator::SoQuantityChanged);
        let msg = &m.messages[0];
        assert_eq!(
            (
                msg.seq,
                msg.at,
                msg.so_number.as_str(),
                msg.row,
                msg.reason,
                msg.state
            ),
            (
                1,
                t(1),
                "#1001",
                ROW,
                UnlinkReason::SoQuantityChanged { from: 5, to: 3 },
                MessageState::Open
            )
        );
        assert_eq!(k.row(ROW).unwrap().mo, None, "the row is unlinked too");
        assert!(fx.iter().any(|e| matches!(e, Effect::MoUnlinked { .. })));
        assert_mo9_untouched(&k);
    }
}

#[test]
fn mto_started_is_unlinked_on_row_deletion_with_a_deleted_message() {
    for status in STARTED {
        let mut k = world(true, status);
        k.apply(&row_delete(), t(1)).unwrap();
        let m = mo(&k, "MO-1");
        assert_eq!((m.quantity, m.status, m.link), (5, status, None));
        assert_eq!(m.indicator(), Indicator::SoDeleted);
        assert_eq!(
            m.messages[0].reason,
            UnlinkReason::SoDeleted { whole_order: false }
        );
        assert_eq!(
            m.messages[0].text(),
            "Sales order #1001 row 11 (OAK-TABLE) was deleted"
        );
        assert_mo9_untouched(&k);
    }
}

#[test]
fn mto_started_is_unlinked_on_so_deletion_with_a_deleted_message() {
    for status in STARTED {
        let mut k = world(true, status);
        let fx = k.apply(&so_delete(), t(1)).unwrap();
        let m = mo(&k, "MO-1");
        assert_eq!((m.quantity, m.status, m.link), (5, status, None));
        assert_eq!(
            m.messages[0].reason,
            UnlinkReason::SoDeleted { whole_order: true }
        );
        assert_eq!(m.messages[0].text(), "Sales order #1001 was deleted");
        assert_eq!(
            fx[0],
            Effect::SoDeleted {
                number: "#1001".into()
            }
        );
        assert!(k.sales_order(ORDER).is_none());
    }
}

#[test]
fn an_mo_unlinked_earlier_is_not_touched_by_later_changes() {
    let mut k = world(true, MoStatus::InProgress);
    k.apply(&qty_change(), t(1)).unwrap();
    k.apply(
        &SoChange::SetRowQuantity {
            order: ORDER,
            line: LINE,
            quantity: 2,
        },
        t(2),
    )
    .unwrap();
    k.apply(&so_delete(), t(3)).unwrap();
    let m = mo(&k, "MO-1");
    assert_eq!((m.quantity, m.messages.len()), (5, 1));
}

// ---- §4 rules that Katana enforces ----

#[test]
fn a_packed_or_delivered_row_is_never_changed_by_shopify() {
    for delivery in [Delivery::Packed, Delivery::Delivered] {
        for change in [qty_change(), row_delete()] {
            let mut k = world(true, MoStatus::InProgress);
            k.set_delivery(ROW, delivery).unwrap();
            let fx = k.apply(&change, t(1)).unwrap();
            assert!(matches!(&fx[..], [Effect::Skipped { .. }]), "{fx:?}");
            assert_eq!(k.row(ROW).unwrap().quantity, 5);
            assert_eq!(mo(&k, "MO-1").link, Some(ROW));
        }
    }
}

#[test]
fn an_so_with_a_packed_row_is_never_deleted_by_shopify() {
    let mut k = world(true, MoStatus::NotStarted);
    k.set_delivery(
        RowRef {
            order: ORDER,
            line: 12,
        },
        Delivery::Packed,
    )
    .unwrap();
    let fx = k.apply(&so_delete(), t(1)).unwrap();
    let Effect::Skipped { reason, .. } = &fx[0] else {
        panic!("{fx:?}")
    };
    assert!(reason.contains("row 12 is packed"), "{reason}");
    assert!(k.sales_order(ORDER).is_some());
    assert!(k.mo(&mo_id("MO-1")).is_some());
}

#[test]
fn an_so_that_loses_its_last_row_is_deleted() {
    let mut k = world(true, MoStatus::Done);
    k.apply(&row_delete(), t(1)).unwrap();
    let fx = k
        .apply(
            &SoChange::DeleteRow {
                order: ORDER,
                line: 12,
            },
            t(2),
        )
        .unwrap();
    assert_eq!(
        fx.last(),
        Some(&Effect::SoDeleted {
            number: "#1001".into()
        })
    );
    assert!(k.sales_order(ORDER).is_none());
    assert!(k.was_imported(ORDER));
}

/// "Edit to 0 deletes the row" is decided once, by the sync (`DeleteRow`); a
/// quantity change to 0 is refused and changes nothing.
#[test]
fn a_row_quantity_of_0_is_refused() {
    let mut k = world(true, MoStatus::NotStarted);
    let before = k
        .row(katana_rules::RowRef {
            order: ORDER,
            line: 11,
        })
        .cloned();
    let err = k
        .apply(
            &SoChange::SetRowQuantity {
                order: ORDER,
                line: 11,
                quantity: 0,
            },
            t(1),
        )
        .unwrap_err();
    assert_eq!(err, katana_rules::KatanaError::ZeroQuantity);
    assert_eq!(
        k.row(katana_rules::RowRef {
            order: ORDER,
            line: 11
        })
        .cloned(),
        before
    );
}

#[test]
fn deleting_an_so_that_is_gone_does_nothing() {
    let mut k = world(true, MoStatus::Done);
    k.apply(&so_delete(), t(1)).unwrap();
    let fx = k.apply(&so_delete(), t(2)).unwrap();
    assert!(matches!(&fx[..], [Effect::Skipped { .. }]));
    assert_eq!(
        fx[0].to_string(),
        "skipped: delete SO #1001: it is already gone"
    );
    assert_eq!(mo(&k, "MO-1").messages.len(), 1);
}

#[test]
fn an_order_is_never_imported_twice() {
    let mut k = world(true, MoStatus::Done);
    k.apply(&so_delete(), t(1)).unwrap();
    let again = SoChange::Import {
        order: ORDER,
        number: "#1001".into(),
        rows: vec![],
    };
    assert_eq!(
        k.apply(&again, t(2)),
        Err(KatanaError::AlreadyImported(ORDER))
    );
}

#[test]
fn fulfilment_marks_the_row_delivered() {
    let mut k = world(true, MoStatus::InProgress);
    k.apply(
        &SoChange::MarkDelivered {
            order: ORDER,
            line: LINE,
        },
        t(1),
    )
    .unwrap();
    assert_eq!(k.row(ROW).unwrap().delivery, Delivery::Delivered);
}

#[test]
fn an_added_row_has_no_mo() {
    let mut k = world(true, MoStatus::InProgress);
    let row = NewRow {
        line: 13,
        sku: "OAK-BENCH".into(),
        quantity: 2,
    };
    k.apply(&SoChange::AddRow { order: ORDER, row }, t(1))
        .unwrap();
    let r = k
        .row(RowRef {
            order: ORDER,
            line: 13,
        })
        .unwrap();
    assert_eq!((r.quantity, r.mo.clone()), (2, None));
}

// ---- §6 what the user sees ----

#[test]
fn schedule_shows_the_amber_indicator_with_hover_text_and_the_unlinked_filter() {
    let mut k = world(true, MoStatus::InProgress);
    k.apply(&qty_change(), t(1)).unwrap();
    let schedule = k.schedule();
    assert_eq!(schedule.len(), 2);
    assert!(schedule[0].amber);
    assert_eq!(
        schedule[0].hover.as_deref(),
        Some("Sales order #1001 quantity changed from 5 to 3")
    );
    assert!(!schedule[1].amber);
    assert_eq!(k.unlinked_filter(), vec![mo_id("MO-1")]);
    assert_eq!(
        schedule[0].to_string(),
        "⚠ MO-1 · OAK-TABLE × 5 · Work in progress · Make-to-stock · hover: \"Sales order #1001 quantity changed from 5 to 3\""
    );
}

#[test]
fn detail_view_banner_offers_update_and_keep_for_a_quantity_change() {
    let mut k = world(true, MoStatus::Blocked);
    k.apply(&qty_change(), t(1)).unwrap();
    let d = k.mo_detail(&mo_id("MO-1")).unwrap();
    let banner = d.banner.unwrap();
    assert_eq!(
        banner.actions,
        vec![Action::UpdateMoQuantity, Action::KeepMoQuantity]
    );
    assert_eq!(banner.actions[0].label(), "Update MO quantity");
    assert_eq!(banner.actions[1].label(), "Keep current MO quantity");
    assert_eq!(d.history.len(), 1);
}

#[test]
fn detail_view_banner_offers_close_for_a_deletion() {
    let mut k = world(true, MoStatus::Done);
    k.apply(&so_delete(), t(1)).unwrap();
    let banner = k.mo_detail(&mo_id("MO-1")).unwrap().banner.unwrap();
    assert_eq!(banner.text, "Sales order #1001 was deleted");
    assert_eq!(banner.actions, vec![Action::Dismiss]);
    assert_eq!(Action::Dismiss.label(), "Close");
}

#[test]
fn schedule_lists_mos_in_natural_order() {
    let mut k = Katana::new();
    for id in ["MO-10", "MO-2", "MO-1"] {
        let kind = NewMoKind::MakeToStock {
            sku: "X".into(),
            quantity: 1,
        };
        k.create_mo(&NewMo {
            id: mo_id(id),
            kind,
            status: MoStatus::NotStarted,
        })
        .unwrap();
    }
    let ids: Vec<_> = k.schedule().into_iter().map(|l| l.mo.to_string()).collect();
    assert_eq!(ids, ["MO-1", "MO-2", "MO-10"]);
}

// ---- §7 user actions ----

fn unlinked_on_quantity() -> Katana {
    let mut k = world(true, MoStatus::InProgress);
    k.apply(&qty_change(), t(1)).unwrap();
    k
}

#[test]
fn update_mo_quantity_relinks_with_the_row_quantity_now() {
    let mut k = unlinked_on_quantity();
    // The row changes again after the unlink: the MO takes the quantity now (chosen).
    k.apply(
        &SoChange::SetRowQuantity {
            order: ORDER,
            line: LINE,
            quantity: 2,
        },
        t(2),
    )
    .unwrap();
    k.update_mo_quantity(&mo_id("MO-1"), t(3)).unwrap();
    let m = mo(&k, "MO-1");
    assert_eq!(
        (m.quantity, m.link, m.indicator()),
        (2, Some(ROW), Indicator::None)
    );
    assert_eq!(m.production_type(), ProductionType::MakeToOrder);
    assert_eq!(
        m.messages[0].state,
        MessageState::Resolved {
            resolution: Resolution::Updated,
            at: t(3)
        }
    );
    assert_eq!(k.row(ROW).unwrap().mo, Some(mo_id("MO-1")));
    assert!(k.unlinked_filter().is_empty());
}

#[test]
fn update_mo_quantity_is_refused_when_the_row_is_gone() {
    let mut k = unlinked_on_quantity();
    k.apply(&row_delete(), t(2)).unwrap();
    let err = k.update_mo_quantity(&mo_id("MO-1"), t(3)).unwrap_err();
    assert!(matches!(err, KatanaError::RowGone { .. }));
    assert!(err.to_string().contains("no longer exists"), "{err}");
    assert_eq!(mo(&k, "MO-1").indicator(), Indicator::SoQuantityChanged);
}

#[test]
fn update_mo_quantity_is_refused_when_the_row_is_packed_or_delivered() {
    for delivery in [Delivery::Packed, Delivery::Delivered] {
        let mut k = unlinked_on_quantity();
        k.set_delivery(ROW, delivery).unwrap();
        let err = k.update_mo_quantity(&mo_id("MO-1"), t(3)).unwrap_err();
        assert!(matches!(err, KatanaError::RowLocked { .. }), "{err}");
        assert_eq!(mo(&k, "MO-1").link, None);
    }
}

#[test]
fn update_mo_quantity_is_refused_when_another_mo_took_the_row() {
    let mut k = unlinked_on_quantity();
    k.create_mo(&NewMo {
        id: mo_id("MO-2"),
        kind: NewMoKind::MakeToOrder(ROW),
        status: MoStatus::NotStarted,
    })
    .unwrap();
    let err = k.update_mo_quantity(&mo_id("MO-1"), t(3)).unwrap_err();
    assert_eq!(
        err,
        KatanaError::RowTaken {
            mo: mo_id("MO-1"),
            row: ROW,
            number: "#1001".into(),
            other: mo_id("MO-2")
        }
    );
    assert_eq!(
        err.to_string(),
        "cannot update MO-1's quantity: row 11 of sales order #1001 is now linked to MO-2; \
         keep the current quantity instead"
    );
}

#[test]
fn keep_mo_quantity_resolves_and_the_mo_stays_make_to_stock() {
    let mut k = unlinked_on_quantity();
    k.keep_mo_quantity(&mo_id("MO-1"), t(2)).unwrap();
    let m = mo(&k, "MO-1");
    assert_eq!(
        (m.quantity, m.link, m.indicator()),
        (5, None, Indicator::None)
    );
    assert_eq!(
        m.messages[0].state,
        MessageState::Resolved {
            resolution: Resolution::Kept,
            at: t(2)
        }
    );
    assert_eq!(
        k.mo_detail(&mo_id("MO-1")).unwrap().history.len(),
        1,
        "messages are never removed"
    );
}

#[test]
fn dismiss_acknowledges_a_deletion() {
    let mut k = world(true, MoStatus::Done);
    k.apply(&so_delete(), t(1)).unwrap();
    k.dismiss(&mo_id("MO-1"), t(2)).unwrap();
    let m = mo(&k, "MO-1");
    assert_eq!(m.indicator(), Indicator::None);
    assert_eq!(
        m.messages[0].state,
        MessageState::Resolved {
            resolution: Resolution::Acknowledged,
            at: t(2)
        }
    );
}

#[test]
fn actions_without_an_open_message_are_refused_and_change_nothing() {
    let mut k = world(true, MoStatus::InProgress);
    let before = format!("{:?}", k.mos());
    for err in [
        k.update_mo_quantity(&mo_id("MO-1"), t(1)).unwrap_err(),
        k.keep_mo_quantity(&mo_id("MO-1"), t(1)).unwrap_err(),
        k.dismiss(&mo_id("MO-1"), t(1)).unwrap_err(),
    ] {
        assert!(matches!(err, KatanaError::NoOpenMessage { .. }));
        assert!(err.to_string().contains("no open message"), "{err}");
    }
    assert_eq!(before, format!("{:?}", k.mos()));
}

#[test]
fn actions_that_do_not_fit_the_open_message_are_refused() {
    let mut k = unlinked_on_quantity();
    let err = k.dismiss(&mo_id("MO-1"), t(2)).unwrap_err();
    assert!(err.to_string().contains("update_mo_quantity"), "{err}");
    let mut k = world(true, MoStatus::Done);
    k.apply(&so_delete(), t(1)).unwrap();
    for err in [
        k.update_mo_quantity(&mo_id("MO-1"), t(2)).unwrap_err(),
        k.keep_mo_quantity(&mo_id("MO-1"), t(2)).unwrap_err(),
    ] {
        assert!(
            err.to_string().contains("its only action is dismiss"),
            "{err}"
        );
    }
    assert_eq!(mo(&k, "MO-1").indicator(), Indicator::SoDeleted);
}

#[test]
fn actions_on_an_unknown_mo_are_refused() {
    let mut k = world(true, MoStatus::Done);
    assert_eq!(
        k.dismiss(&mo_id("MO-404"), t(1)),
        Err(KatanaError::UnknownMo(mo_id("MO-404")))
    );
}

#[test]
fn relink_then_second_unlink_appends_a_second_message() {
    let mut k = unlinked_on_quantity();
    k.update_mo_quantity(&mo_id("MO-1"), t(2)).unwrap();
    k.apply(
        &SoChange::SetRowQuantity {
            order: ORDER,
            line: LINE,
            quantity: 1,
        },
        t(3),
    )
    .unwrap();
    let m = mo(&k, "MO-1");
    assert_eq!(m.messages.len(), 2);
    assert_eq!(m.messages[1].seq, 2);
    assert_eq!(
        m.messages[1].reason,
        UnlinkReason::SoQuantityChanged { from: 3, to: 1 }
    );
    assert!(!m.messages[0].is_open() && m.messages[1].is_open());
}

#[test]
fn a_row_has_at_most_one_mto_mo() {
    let mut k = world(true, MoStatus::NotStarted);
    let err = k
        .create_mo(&NewMo {
            id: mo_id("MO-2"),
            kind: NewMoKind::MakeToOrder(ROW),
            status: MoStatus::NotStarted,
        })
        .unwrap_err();
    assert!(matches!(err, KatanaError::RowHasMo { .. }), "{err}");
    assert!(k.mo(&mo_id("MO-2")).is_none());
}

// ---- §4b changes made in Katana: the MO rules of §5 apply the same ----------------

#[test]
fn a_user_edit_of_a_row_follows_the_mo_rules_for_every_status() {
    for status in MoStatus::ALL {
        let mut k = world(true, status);
        k.user_edit_row(ROW, 3, t(1)).unwrap();
        assert_eq!(k.row(ROW).unwrap().quantity, 3);
        let mo = mo(&k, "MO-1");
        if status == MoStatus::NotStarted {
            assert_eq!((mo.quantity, mo.link, mo.messages.len()), (3, Some(ROW), 0));
        } else {
            assert_eq!((mo.quantity, mo.link), (5, None), "{status}");
            assert_eq!(
                mo.messages[0].reason,
                UnlinkReason::SoQuantityChanged { from: 5, to: 3 }
            );
        }
        assert_mo9_untouched(&k);
    }
}

#[test]
fn a_user_deletion_of_a_row_or_the_so_follows_the_mo_rules() {
    let mut k = world(true, MoStatus::NotStarted);
    k.user_delete_row(ROW, t(1)).unwrap();
    assert!(k.mo(&mo_id("MO-1")).is_none());
    let mut k = world(true, MoStatus::Done);
    k.user_delete_so(ORDER, t(1)).unwrap();
    assert!(k.sales_order(ORDER).is_none());
    assert!(k.was_imported(ORDER), "never imported again");
    assert_eq!(
        mo(&k, "MO-1").messages[0].reason,
        UnlinkReason::SoDeleted { whole_order: true }
    );
    assert_mo9_untouched(&k);
}

#[test]
fn packed_and_delivered_rows_cannot_be_changed_by_a_user() {
    for delivery in [Delivery::Packed, Delivery::Delivered] {
        let mut k = world(true, MoStatus::InProgress);
        k.set_delivery(ROW, delivery).unwrap();
        let before = (k.row(ROW).cloned(), mo(&k, "MO-1").clone());
        for err in [
            k.user_edit_row(ROW, 3, t(1)).unwrap_err(),
            k.user_delete_row(ROW, t(1)).unwrap_err(),
            k.user_delete_so(ORDER, t(1)).unwrap_err(),
        ] {
            assert_eq!(err.code(), format!("row_{delivery}"));
        }
        assert_eq!((k.row(ROW).cloned(), mo(&k, "MO-1").clone()), before);
    }
}

#[test]
fn a_user_edit_keeps_what_the_sync_last_brought() {
    let mut k = world(true, MoStatus::NotStarted);
    k.user_edit_row(ROW, 8, t(1)).unwrap();
    let so = k.sales_order(ORDER).unwrap();
    assert_eq!(
        so.synced.get(&LINE),
        Some(&5),
        "the Shopify quantity synced last"
    );
    assert_eq!(so.rows[&LINE].quantity, 8);
}

// ---- names and orders the snapshots and the Schedule rely on ----------------------
// (found by mutation testing: only the scenario snapshots caught these before)

#[test]
fn mo_ids_sort_naturally() {
    let (two, ten) = (mo_id("MO-2"), mo_id("MO-10"));
    assert!(two < ten);
    assert_eq!(two.partial_cmp(&ten), Some(std::cmp::Ordering::Less));
    assert_eq!(two.cmp(&ten), std::cmp::Ordering::Less);
    assert_eq!(mo_id("MO-10").as_str(), "MO-10");
    let mut ids = [mo_id("MO-10"), mo_id("MO-9"), mo_id("A-1"), mo_id("MO-2")];
    ids.sort();
    let names: Vec<&str> = ids.iter().map(MoId::as_str).collect();
    assert_eq!(names, ["A-1", "MO-2", "MO-9", "MO-10"]);
}

#[test]
fn the_names_of_statuses_types_indicators_reasons_and_actions() {
    let statuses: Vec<String> = MoStatus::ALL
        .iter()
        .map(|s| format!("{}={s}", s.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            "not_started=not_started",
            "blocked=blocked",
            "in_progress=in_progress",
            "partially_complete=partially_complete",
            "done=done"
        ]
    );
    assert_eq!(ProductionType::MakeToOrder.as_str(), "make_to_order");
    assert_eq!(ProductionType::MakeToStock.as_str(), "make_to_stock");
    let indicators: Vec<&str> = Indicator::ALL.iter().map(|i| i.as_str()).collect();
    assert_eq!(indicators, ["none", "so_quantity_changed", "so_deleted"]);
    assert_eq!(
        UnlinkReason::SoQuantityChanged { from: 1, to: 2 }.as_str(),
        "so_quantity_changed"
    );
    assert_eq!(
        UnlinkReason::SoDeleted { whole_order: true }.as_str(),
        "so_deleted"
    );
    assert_eq!(Resolution::Updated.as_str(), "updated");
    assert_eq!(Resolution::Kept.as_str(), "kept");
    assert_eq!(Resolution::Acknowledged.as_str(), "acknowledged");
    assert_eq!(
        Action::UpdateMoQuantity.verb(),
        "update (Update MO quantity)"
    );
    assert_eq!(
        Action::KeepMoQuantity.verb(),
        "keep (Keep current MO quantity)"
    );
    assert_eq!(Action::Dismiss.verb(), "dismiss (Close)");
    assert_eq!(ROW.to_string(), "order 1001 line 11");
}

#[test]
fn counts_and_history_lines() {
    let mut k = world(true, MoStatus::Done);
    assert_eq!(k.mo_count(), k.mos().len());
    assert_eq!(k.mo_count(), 2);
    k.apply(&qty_change(), t(1)).unwrap();
    let history = k.mo_detail(&mo_id("MO-1")).unwrap().history;
    assert_eq!(
        history,
        ["#1 2026-01-01T09:01:00Z open: Sales order #1001 quantity changed from 5 to 3"]
    );
    assert!(!k.awaits_payment(ORDER));
    assert!(k.was_imported(ORDER) && !k.was_imported(4242));
}

#[test]
fn set_status_changes_the_status_and_nothing_else() {
    let mut k = world(false, MoStatus::NotStarted);
    let fx = k.set_status(&mo_id("MO-1"), MoStatus::Done).unwrap();
    assert_eq!(fx.len(), 1);
    assert_eq!(mo(&k, "MO-1").status, MoStatus::Done);
    assert_eq!(
        k.set_status(&mo_id("MO-1"), MoStatus::Done).unwrap(),
        vec![]
    );
}

#[test]
fn an_import_is_traced_with_its_rows_in_order() {
    let mut k = Katana::new();
    let fx = k
        .apply(
            &SoChange::Import {
                order: 7,
                number: "#7".into(),
                rows: vec![
                    NewRow {
                        line: 1,
                        sku: "A".into(),
                        quantity: 2,
                    },
                    NewRow {
                        line: 2,
                        sku: "B".into(),
                        quantity: 3,
                    },
                    NewRow {
                        line: 3,
                        sku: "C".into(),
                        quantity: 1,
                    },
                ],
            },
            t(0),
        )
        .unwrap();
    let lines: Vec<String> = fx.iter().map(Effect::to_string).collect();
    assert_eq!(lines, ["SO #7 imported with rows 1 A×2, 2 B×3, 3 C×1"]);
}

#[test]
fn every_so_is_listed_by_its_order_id() {
    let mut k = world(true, MoStatus::NotStarted);
    k.apply(
        &SoChange::Import {
            order: 7,
            number: "#7".into(),
            rows: vec![NewRow {
                line: 1,
                sku: "A".into(),
                quantity: 2,
            }],
        },
        t(1),
    )
    .unwrap();
    let numbers: Vec<&str> = k
        .sales_orders()
        .iter()
        .map(|so| so.number.as_str())
        .collect();
    assert_eq!(numbers, ["#7", "#1001"]);
}

#[test]
fn the_schedule_names_the_so_row_of_a_make_to_order_mo() {
    let k = world(true, MoStatus::NotStarted);
    let production: Vec<(String, String)> = k
        .schedule()
        .into_iter()
        .map(|l| (l.mo.to_string(), l.production))
        .collect();
    assert_eq!(
        production,
        [
            (
                "MO-1".to_string(),
                "Make-to-order for #1001 row 11".to_string()
            ),
            ("MO-9".to_string(), "Make-to-stock".to_string()),
        ]
    );
}

#[test]
fn an_order_awaits_its_payment_until_it_is_imported_and_an_imported_one_never_does() {
    let mut k = Katana::new();
    assert!(!k.awaits_payment(ORDER));
    k.apply(&SoChange::AwaitPayment { order: ORDER }, t(0))
        .unwrap();
    assert!(k.awaits_payment(ORDER));
    assert!(!k.awaits_payment(4242));
    // Imported when paid: no longer waiting.
    let mut imported = world(false, MoStatus::NotStarted);
    assert!(!imported.awaits_payment(ORDER));
    imported
        .apply(&SoChange::AwaitPayment { order: ORDER }, t(1))
        .unwrap();
    assert!(!imported.awaits_payment(ORDER), "already imported");
    // Stopped: the payment was captured when the order no longer qualified.
    let fx = k
        .apply(&SoChange::StopAwaitingPayment { order: ORDER }, t(2))
        .unwrap();
    assert!(fx.is_empty());
    assert!(!k.awaits_payment(ORDER));
}

#[test]
fn a_row_deleted_by_shopify_is_remembered_at_0_and_one_deleted_by_a_user_keeps_its_quantity() {
    let mut k = world(false, MoStatus::NotStarted);
    k.apply(&row_delete(), t(1)).unwrap();
    assert_eq!(k.sales_order(ORDER).unwrap().synced.get(&LINE), Some(&0));
    let mut k = world(false, MoStatus::NotStarted);
    k.user_delete_row(ROW, t(1)).unwrap();
    let so = k.sales_order(ORDER).unwrap();
    assert!(!so.rows.contains_key(&LINE));
    assert_eq!(
        so.synced.get(&LINE),
        Some(&5),
        "the Shopify quantity synced last"
    );
}

//! The red-black tree algorithms, over nodes linked by 32-bit ids.
//!
//! A port of Linux's `lib/rbtree.c` (`__rb_insert`, `__rb_erase_augmented`
//! without augmentation, `____rb_erase_color`, `rb_next`), with the two
//! mirror-image halves of each case folded into one by indexing the
//! children with a direction `d` (0 = left, 1 = right) and its opposite
//! `o`. [`insert`] descends and links a node and rebalances, [`erase`]
//! unlinks any node and rebalances, [`erase_first`] is `erase` for the
//! leftmost node, which is what every expiry removes.
//!
//! **Ids.** A node's id is its byte offset in the arena's node slice,
//! `index << ID_SHIFT` (nodes are exactly `1 << ID_SHIFT` bytes), and
//! links hold ids; `NIL` (not a multiple of the node size) is "none". The
//! descent then goes from a loaded link straight to the next node's
//! address (`base + id`), without scaling an index on every level, which
//! is one dependent operation fewer per level.
//!
//! **Id invariant.** Every function here is given the arena's node slice,
//! and every id it is given or finds in a link (other than `NIL`) is that
//! of a node of that slice: the ids linked into a tree are those of
//! indices the arena handed out below its length, links only ever receive
//! such ids (or `NIL`), and the arena's node `Vec` never shrinks. The node
//! accessors rely on it to skip the bounds check (checked in debug builds,
//! and so under Miri). On W4 the checked accessors cost about a fifth more
//! instructions per expiry + re-arm and ~8 % more time (measured when this
//! was written; the rationale, not the figure, is what matters here).

use crate::node::{Node, BLACK, ID_SHIFT, ID_UNIT, NIL, NO_KIDS, RED, UNLINKED};

/// The node with id `id`, which must be a node of `n` (the module's id
/// invariant).
#[inline(always)]
fn at(n: &[Node], id: u32) -> &Node {
    debug_assert!(
        id & ((1 << ID_SHIFT) - 1) == 0 && ((id >> ID_SHIFT) as usize) < n.len(),
        "node id {id} out of range"
    );
    // SAFETY: by the module's id invariant `id` is the byte offset of a
    // node of `n` (an index the arena handed out, or read from a link,
    // times the node size), so the pointer is in bounds, aligned, and
    // derived from `n`; the slice is borrowed for the reference's life.
    unsafe { &*n.as_ptr().byte_add(id as usize * ID_UNIT) }
}

/// The node with id `id` mutably, which must be a node of `n` (the
/// module's id invariant).
#[inline(always)]
fn at_mut(n: &mut [Node], id: u32) -> &mut Node {
    debug_assert!(
        id & ((1 << ID_SHIFT) - 1) == 0 && ((id >> ID_SHIFT) as usize) < n.len(),
        "node id {id} out of range"
    );
    // SAFETY: as in `at`, and `n` is borrowed mutably for the reference's
    // life.
    unsafe { &mut *n.as_mut_ptr().byte_add(id as usize * ID_UNIT) }
}

#[inline(always)]
fn is_red(n: &[Node], i: u32) -> bool {
    i != NIL && at(n, i).color == RED
}

#[inline(always)]
fn set_parent_color(n: &mut [Node], i: u32, parent: u32, color: u8) {
    let x = at_mut(n, i);
    x.parent = parent;
    x.color = color;
}

/// Makes `new` the child of `parent` that `old` was (or the root).
#[inline(always)]
fn change_child(n: &mut [Node], root: &mut u32, old: u32, new: u32, parent: u32) {
    if parent == NIL {
        *root = new;
    } else {
        let p = at_mut(n, parent);
        let side = (p.child(0) != old) as usize;
        p.set_child(side, new);
    }
}

/// `new` takes `old`'s place (parent and colour) above it; `old` becomes
/// `new`'s child with colour `color`.
#[inline(always)]
fn rotate_set_parents(n: &mut [Node], root: &mut u32, old: u32, new: u32, color: u8) {
    let (pp, pc) = {
        let o = at(n, old);
        (o.parent, o.color)
    };
    set_parent_color(n, new, pp, pc);
    set_parent_color(n, old, new, color);
    change_child(n, root, old, new, pp);
}

/// Links node `x` (unlinked, key `hard` already set) into the tree at
/// `root`, after every node with the same key, and rebalances.
///
/// The descent goes left only if the new key is strictly smaller, so the
/// node lands after every equal key. It is one dependent load per level,
/// so each level does as little as possible: the key and both children
/// share 16 bytes of one cache line and are loaded together (one 8-byte
/// load for both children), and the child is picked with a conditional
/// move between the two halves of that word: no branch to mispredict, and
/// no second load whose address waits for the comparison (which is what
/// the compiler makes of `child[dir]` or of two separate loads).
#[inline]
pub(crate) fn insert(n: &mut [Node], root: &mut u32, x: u32) {
    let k = at(n, x).hard;
    let mut parent = NIL;
    let mut cur = *root;
    while cur != NIL {
        parent = cur;
        let c = at(n, cur);
        let kids = c.kids;
        let (l, r) = (kids as u32, (kids >> 32) as u32);
        // Ties go right.
        cur = if k >= c.hard { r } else { l };
    }
    let node = at_mut(n, x);
    node.kids = NO_KIDS;
    node.parent = parent;
    node.color = RED;
    if parent == NIL {
        *root = x;
        at_mut(n, x).color = BLACK;
        return;
    }
    let p = at_mut(n, parent);
    let dir = (k >= p.hard) as usize;
    p.set_child(dir, x);
    // Below a black parent the new red leaf breaks nothing (the first
    // test of `insert_fixup`, made here to save the call).
    if p.color != BLACK {
        insert_fixup(n, root, x);
    }
}

/// Restores the red-black properties after `node` was linked in red as a
/// leaf (`__rb_insert`).
fn insert_fixup(n: &mut [Node], root: &mut u32, mut node: u32) {
    let mut parent = at(n, node).parent;
    loop {
        if parent == NIL {
            // `node` is the root.
            set_parent_color(n, node, NIL, BLACK);
            return;
        }
        if at(n, parent).color == BLACK {
            return;
        }
        // A red parent is not the root, so the grandparent exists.
        let g = at(n, parent).parent;
        let d = (at(n, g).child(1) == parent) as usize;
        let o = d ^ 1;
        let uncle = at(n, g).child(o);
        if is_red(n, uncle) {
            // Colour flip; continue two levels up.
            at_mut(n, uncle).color = BLACK;
            at_mut(n, parent).color = BLACK;
            node = g;
            parent = at(n, node).parent;
            at_mut(n, node).color = RED;
            continue;
        }
        let mut tmp = at(n, parent).child(o);
        if node == tmp {
            // Inner grandchild: rotate at parent towards `d`.
            tmp = at(n, node).child(d);
            at_mut(n, parent).set_child(o, tmp);
            at_mut(n, node).set_child(d, parent);
            if tmp != NIL {
                set_parent_color(n, tmp, parent, BLACK);
            }
            set_parent_color(n, parent, node, RED);
            parent = node;
            tmp = at(n, node).child(o);
        }
        // Rotate at the grandparent towards `o`.
        at_mut(n, g).set_child(d, tmp);
        at_mut(n, parent).set_child(o, g);
        if tmp != NIL {
            set_parent_color(n, tmp, g, BLACK);
        }
        rotate_set_parents(n, root, g, parent, RED);
        return;
    }
}

/// The in-order successor of `node`, `NIL` if it is the last.
#[inline]
pub(crate) fn next(n: &[Node], node: u32) -> u32 {
    let mut x = at(n, node).child(1);
    if x != NIL {
        loop {
            let l = at(n, x).child(0);
            if l == NIL {
                return x;
            }
            x = l;
        }
    }
    x = node;
    let mut p = at(n, x).parent;
    while p != NIL && at(n, p).child(1) == x {
        x = p;
        p = at(n, p).parent;
    }
    p
}

/// Unlinks `node` and rebalances (`rb_erase`); marks it unlinked.
pub(crate) fn erase(n: &mut [Node], root: &mut u32, node: u32) {
    let (left, right) = (at(n, node).child(0), at(n, node).child(1));
    let (pp, pc) = {
        let x = at(n, node);
        (x.parent, x.color)
    };
    let rebalance;
    if left == NIL {
        // At most one child (the right one); if there is one it is red and
        // `node` black, so recolouring the child suffices.
        change_child(n, root, node, right, pp);
        if right != NIL {
            set_parent_color(n, right, pp, pc);
            rebalance = NIL;
        } else {
            rebalance = if pc == BLACK { pp } else { NIL };
        }
    } else if right == NIL {
        // Only a left child: as above.
        set_parent_color(n, left, pp, pc);
        change_child(n, root, node, left, pp);
        rebalance = NIL;
    } else {
        // Two children: the successor (leftmost of the right subtree)
        // takes `node`'s place.
        let mut successor = right;
        let parent;
        let child2;
        let mut tmp = at(n, right).child(0);
        if tmp == NIL {
            // The successor is `node`'s right child.
            parent = successor;
            child2 = at(n, successor).child(1);
        } else {
            let mut par;
            loop {
                par = successor;
                successor = tmp;
                tmp = at(n, tmp).child(0);
                if tmp == NIL {
                    break;
                }
            }
            parent = par;
            child2 = at(n, successor).child(1);
            at_mut(n, parent).set_child(0, child2);
            at_mut(n, successor).set_child(1, right);
            at_mut(n, right).parent = successor;
        }
        at_mut(n, successor).set_child(0, left);
        at_mut(n, left).parent = successor;
        change_child(n, root, node, successor, pp);
        if child2 != NIL {
            set_parent_color(n, child2, parent, BLACK);
            rebalance = NIL;
        } else {
            rebalance = if at(n, successor).color == BLACK {
                parent
            } else {
                NIL
            };
        }
        set_parent_color(n, successor, pp, pc);
    }
    {
        let x = at_mut(n, node);
        x.color = UNLINKED;
        x.parent = NIL;
        x.kids = NO_KIDS;
    }
    if rebalance != NIL {
        erase_color(n, root, rebalance);
    }
}

/// Unlinks `x`, the leftmost node of the tree, rebalances, and returns the
/// new leftmost node (`NIL` if the tree is now empty).
///
/// [`erase`] specialised to a node without a left child that is its
/// parent's left child: if it has a right child, that child is a red leaf
/// (any black node there would unbalance the empty left side) and is both
/// its replacement and its successor; otherwise the parent is the
/// successor, and removing a black leaf needs the usual rebalancing.
#[inline]
pub(crate) fn erase_first(n: &mut [Node], root: &mut u32, x: u32) -> u32 {
    let (right, parent, color) = {
        let node = at(n, x);
        debug_assert_eq!(node.child(0), NIL);
        (node.child(1), node.parent, node.color)
    };
    if parent == NIL {
        *root = right;
    } else {
        debug_assert_eq!(at(n, parent).child(0), x);
        at_mut(n, parent).set_child(0, right);
    }
    {
        let node = at_mut(n, x);
        node.color = UNLINKED;
        node.parent = NIL;
        node.kids = NO_KIDS;
    }
    if right != NIL {
        set_parent_color(n, right, parent, BLACK);
        right
    } else {
        if color == BLACK && parent != NIL {
            erase_color_left(n, root, parent);
        }
        parent
    }
}

/// Restores the red-black properties after a black leaf was removed below
/// `parent` (`____rb_erase_color`).
fn erase_color(n: &mut [Node], root: &mut u32, parent: u32) {
    erase_color_impl::<false>(n, root, parent);
}

/// [`erase_color`] after the leftmost node was removed: the short side is
/// then always the left one, at every step up (the walk climbs the left
/// spine, and the rotations keep the short node a left child), so the
/// direction is a constant and the mirror-image code folds away.
fn erase_color_left(n: &mut [Node], root: &mut u32, parent: u32) {
    erase_color_impl::<true>(n, root, parent);
}

#[inline(always)]
fn erase_color_impl<const LEFT: bool>(n: &mut [Node], root: &mut u32, mut parent: u32) {
    let mut node = NIL;
    loop {
        // Invariant: `node` is black (or NIL on the first pass) and not the
        // root; paths through it are one black node short.
        let d = if LEFT {
            debug_assert_eq!(at(n, parent).child(0), node);
            0
        } else {
            (at(n, parent).child(1) == node) as usize
        };
        let o = d ^ 1;
        let mut sibling = at(n, parent).child(o);
        if is_red(n, sibling) {
            // Case 1: rotate at parent towards `d`.
            let tmp1 = at(n, sibling).child(d);
            at_mut(n, parent).set_child(o, tmp1);
            at_mut(n, sibling).set_child(d, parent);
            set_parent_color(n, tmp1, parent, BLACK);
            rotate_set_parents(n, root, parent, sibling, RED);
            sibling = tmp1;
        }
        let mut tmp1 = at(n, sibling).child(o);
        if !is_red(n, tmp1) {
            let tmp2 = at(n, sibling).child(d);
            if !is_red(n, tmp2) {
                // Case 2: sibling colour flip.
                at_mut(n, sibling).color = RED;
                if at(n, parent).color == RED {
                    at_mut(n, parent).color = BLACK;
                } else {
                    node = parent;
                    parent = at(n, node).parent;
                    if parent != NIL {
                        continue;
                    }
                }
                return;
            }
            // Case 3: rotate at sibling towards `o`.
            tmp1 = at(n, tmp2).child(o);
            at_mut(n, sibling).set_child(d, tmp1);
            at_mut(n, tmp2).set_child(o, sibling);
            at_mut(n, parent).set_child(o, tmp2);
            if tmp1 != NIL {
                set_parent_color(n, tmp1, sibling, BLACK);
            }
            tmp1 = sibling;
            sibling = tmp2;
        }
        // Case 4: rotate at parent towards `d`, recolour.
        let tmp2 = at(n, sibling).child(d);
        at_mut(n, parent).set_child(o, tmp2);
        at_mut(n, sibling).set_child(d, parent);
        set_parent_color(n, tmp1, sibling, BLACK);
        if tmp2 != NIL {
            at_mut(n, tmp2).parent = parent;
        }
        rotate_set_parents(n, root, parent, sibling, BLACK);
        return;
    }
}

/// Checks every red-black property and every link of the tree at `root`;
/// returns `(key, id)` in order (tests only).
#[cfg(test)]
pub(crate) fn validate(n: &[Node], root: u32) -> Vec<(u64, u32)> {
    fn walk(n: &[Node], x: u32, parent: u32, out: &mut Vec<(u64, u32)>) -> usize {
        if x == NIL {
            return 1;
        }
        let node = at(n, x);
        assert_eq!(node.parent, parent, "parent link of {x}");
        assert!(node.color == RED || node.color == BLACK, "colour of {x}");
        if node.color == RED {
            assert!(
                !is_red(n, node.child(0)) && !is_red(n, node.child(1)),
                "red-red at {x}"
            );
        }
        let lh = walk(n, node.child(0), x, out);
        out.push((node.hard, x));
        let rh = walk(n, node.child(1), x, out);
        assert_eq!(lh, rh, "black height at {x}");
        lh + (node.color == BLACK) as usize
    }
    let mut out = Vec::new();
    if root != NIL {
        assert_eq!(at(n, root).color, BLACK, "red root");
    }
    walk(n, root, NIL, &mut out);
    assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "out of order");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_insert_erase_matches_a_sorted_vec() {
        let size = if cfg!(miri) { 40 } else { 400 };
        let rounds = if cfg!(miri) { 300 } else { 20_000 };
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut rnd = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let mut n = vec![Node::VACANT; size];
        let mut root = NIL;
        // Model: (key, id) in tree order (ties in insertion order).
        let mut model: Vec<(u64, u32)> = Vec::new();
        for _ in 0..rounds {
            let i = (rnd(size as u64) as u32) << ID_SHIFT;
            let slot = (i >> ID_SHIFT) as usize;
            if n[slot].is_linked() {
                let first = model.first().map(|e| e.1);
                let succ = model
                    .iter()
                    .position(|e| e.1 == i)
                    .and_then(|p| model.get(p + 1))
                    .map_or(NIL, |e| e.1);
                assert_eq!(next(&n, i), succ);
                if first == Some(i) && rnd(2) == 0 {
                    assert_eq!(erase_first(&mut n, &mut root, i), succ);
                } else {
                    erase(&mut n, &mut root, i);
                }
                model.retain(|e| e.1 != i);
                assert!(!n[slot].is_linked());
            } else {
                let k = rnd(64);
                n[slot].hard = k;
                insert(&mut n, &mut root, i);
                let pos = model.partition_point(|e| e.0 <= k);
                model.insert(pos, (k, i));
            }
            assert_eq!(validate(&n, root), model);
        }
    }
}

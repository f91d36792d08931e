//! The red-black tree algorithms, over nodes linked by 32-bit ids.
//!
//! The textbook red-black tree (Cormen, Leiserson, Rivest and Stein,
//! *Introduction to Algorithms*, ch. 13): insertion recolours or rotates
//! its way up from the new red leaf (RB-INSERT-FIXUP), deletion splices
//! out the node or its in-order successor (RB-TRANSPLANT, RB-DELETE) and,
//! if a black node left the tree, repairs the black height with the four
//! sibling cases (RB-DELETE-FIXUP). There is no sentinel leaf: `NIL` links
//! are "no node", so the deletion repair carries the parent of the
//! (possibly absent) doubly black node along with it. The left and right
//! variants of each case are one piece of code, with the side as an index
//! `d` (0 = left, 1 = right) into a node's children and `1 - d` the other
//! side. [`insert`] descends, links and rebalances, [`erase`] unlinks any
//! node, and [`erase_first`] unlinks the leftmost node, which is what every
//! expiry removes, without the general case's successor search.
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

/// The key of node `id`, which must be a node of `n` (the module's id
/// invariant).
#[inline(always)]
pub(crate) fn key(n: &[Node], id: u32) -> u64 {
    at(n, id).hard
}

/// `true` if `id` is a node (not `NIL`) and that node is red.
#[inline(always)]
fn is_red(n: &[Node], id: u32) -> bool {
    id != NIL && at(n, id).color == RED
}

/// Which side of `parent` the link to `child` is on; for a `NIL` child,
/// the side whose link is `NIL` (the left one if both are).
#[inline(always)]
fn side_of(n: &[Node], parent: u32, child: u32) -> usize {
    usize::from(at(n, parent).child(0) != child)
}

/// Puts the subtree `new` (may be `NIL`) where the subtree `old` hangs
/// below `parent` (`NIL`: at the root): RB-TRANSPLANT. `old`'s own links
/// are left alone. `side` is the side of `parent` that `old` is on if the
/// caller knows it, `None` to look it up.
#[inline(always)]
fn transplant(
    n: &mut [Node],
    root: &mut u32,
    parent: u32,
    old: u32,
    new: u32,
    side: Option<usize>,
) {
    if parent == NIL {
        *root = new;
    } else {
        let d = side.unwrap_or_else(|| side_of(n, parent, old));
        debug_assert_eq!(at(n, parent).child(d), old);
        at_mut(n, parent).set_child(d, new);
    }
    if new != NIL {
        at_mut(n, new).parent = parent;
    }
}

/// Rotates `top` down to its side `d`: its child on the other side takes
/// its place, and that child's subtree on side `d` moves across to `top`.
/// With `d = 0` this is LEFT-ROTATE, with `d = 1` RIGHT-ROTATE. `top_side`
/// is as `side` in [`transplant`], for `top` below its parent.
#[inline(always)]
fn rotate(n: &mut [Node], root: &mut u32, top: u32, d: usize, top_side: Option<usize>) {
    let up = at(n, top).child(1 - d);
    let across = at(n, up).child(d);
    let above = at(n, top).parent;
    at_mut(n, top).set_child(1 - d, across);
    if across != NIL {
        at_mut(n, across).parent = top;
    }
    transplant(n, root, above, top, up, top_side);
    at_mut(n, up).set_child(d, top);
    at_mut(n, top).parent = up;
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
        insert_fixup(n, root, x, parent);
    }
}

/// RB-INSERT-FIXUP for the red leaf `z` whose parent `p` is red (so the
/// parent is not the root, and the grandparent exists and is black).
///
/// The parent is passed in, and carried up from the grandparent's parent
/// (which case 1 reads anyway), rather than read from `z`: `insert` has
/// just stored it there, and a load of it would wait for that store.
///
/// While the uncle is red, the grandparent's blackness moves down to its
/// two children and the red-red conflict moves two levels up. Otherwise
/// one rotation (two if `z` is an inner grandchild) puts a black node on
/// top of the two reds and the tree is valid again.
fn insert_fixup(n: &mut [Node], root: &mut u32, mut z: u32, mut p: u32) {
    loop {
        debug_assert_eq!(at(n, z).parent, p);
        let g = at(n, p).parent;
        // Both of the grandparent's children in one load (no child of `g`
        // has just been relinked), the uncle picked by a conditional move.
        let kids = at(n, g).kids;
        let (l, r) = (kids as u32, (kids >> 32) as u32);
        let d = usize::from(l != p);
        let uncle = if l == p { r } else { l };
        if is_red(n, uncle) {
            // Case 1: recolour; the grandparent may now clash with its
            // own parent.
            at_mut(n, p).color = BLACK;
            at_mut(n, uncle).color = BLACK;
            let above = at(n, g).parent;
            if above == NIL {
                // The root stays black: every path gained one black.
                return;
            }
            at_mut(n, g).color = RED;
            if at(n, above).color == BLACK {
                return;
            }
            z = g;
            p = above;
            continue;
        }
        // Case 2: an inner grandchild is turned into an outer one, which
        // puts `z` where `p` was.
        let mid = if at(n, p).child(1 - d) == z {
            rotate(n, root, p, d, Some(d));
            z
        } else {
            p
        };
        // Case 3: `mid` rises above the grandparent and turns black.
        at_mut(n, mid).color = BLACK;
        at_mut(n, g).color = RED;
        rotate(n, root, g, 1 - d, None);
        return;
    }
}

/// The in-order successor of `node`, `NIL` if it is the last.
#[inline]
pub(crate) fn next(n: &[Node], node: u32) -> u32 {
    let right = at(n, node).child(1);
    if right != NIL {
        return leftmost(n, right);
    }
    // Climb while coming up from a right child; the first ancestor reached
    // from its left is the successor.
    let mut below = node;
    let mut up = at(n, node).parent;
    while up != NIL && at(n, up).child(1) == below {
        below = up;
        up = at(n, up).parent;
    }
    up
}

/// The leftmost node of the subtree at `top` (not `NIL`).
#[inline(always)]
fn leftmost(n: &[Node], mut top: u32) -> u32 {
    loop {
        let l = at(n, top).child(0);
        if l == NIL {
            return top;
        }
        top = l;
    }
}

/// Marks `x`, just removed from its tree, as in no tree.
#[inline(always)]
fn mark_unlinked(n: &mut [Node], x: u32) {
    let node = at_mut(n, x);
    node.color = UNLINKED;
    node.parent = NIL;
    node.kids = NO_KIDS;
}

/// Unlinks `z` and rebalances (RB-DELETE); marks it unlinked.
///
/// A node with at most one child is replaced by that child. A node with
/// two is replaced by its successor `y` (leftmost of its right subtree),
/// which takes its colour, and `y`'s right child takes `y`'s place. Either
/// way the colour that left the tree is that of the node spliced out; if
/// it was black, the paths through the splice point are one black short.
pub(crate) fn erase(n: &mut [Node], root: &mut u32, z: u32) {
    let Node {
        kids,
        parent: z_parent,
        color: z_color,
        ..
    } = *at(n, z);
    let (l, r) = (kids as u32, (kids >> 32) as u32);
    // `x` moves into the place of the node spliced out, below `x_parent`.
    let (x, x_parent, lost) = if l == NIL || r == NIL {
        let x = if l == NIL { r } else { l };
        transplant(n, root, z_parent, z, x, None);
        (x, z_parent, z_color)
    } else {
        let y = leftmost(n, r);
        let Node {
            kids: y_kids,
            parent: y_parent,
            color: y_color,
            ..
        } = *at(n, y);
        let x = (y_kids >> 32) as u32;
        let x_parent = if y_parent == z {
            y
        } else {
            // `y` is a left child with no left child of its own.
            at_mut(n, y_parent).set_child(0, x);
            if x != NIL {
                at_mut(n, x).parent = y_parent;
            }
            at_mut(n, y).set_child(1, r);
            at_mut(n, r).parent = y;
            y_parent
        };
        transplant(n, root, z_parent, z, y, None);
        let yn = at_mut(n, y);
        yn.set_child(0, l);
        yn.color = z_color;
        at_mut(n, l).parent = y;
        (x, x_parent, y_color)
    };
    mark_unlinked(n, z);
    if lost == BLACK {
        erase_fixup(n, root, x, x_parent);
    }
}

/// Unlinks `x`, the leftmost node of the tree, rebalances, and returns the
/// new leftmost node (`NIL` if the tree is now empty).
///
/// [`erase`] for a node without a left child: no successor search, and the
/// node is its parent's left child (or the root). If it has a right child,
/// that child is a red leaf (a black node there would make its paths
/// longer than the empty left side), so the node is black, and the child
/// turns black in its place and is the new leftmost. Otherwise the node is
/// a leaf, its parent is the new leftmost (rotations keep the order), and
/// removing a black leaf leaves the parent's left side one black short.
#[inline]
pub(crate) fn erase_first(n: &mut [Node], root: &mut u32, x: u32) -> u32 {
    let Node {
        kids,
        parent,
        color,
        ..
    } = *at(n, x);
    debug_assert_eq!(kids as u32, NIL, "erase_first of a node with a left child");
    let r = (kids >> 32) as u32;
    mark_unlinked(n, x);
    if parent == NIL {
        *root = r;
    } else {
        at_mut(n, parent).set_child(0, r);
    }
    if r != NIL {
        let c = at_mut(n, r);
        c.parent = parent;
        c.color = BLACK;
        return r;
    }
    if color == BLACK && parent != NIL {
        erase_first_fixup(n, root, parent);
    }
    parent
}

/// [`delete_fixup`] after [`erase`], out of line.
fn erase_fixup(n: &mut [Node], root: &mut u32, x: u32, parent: u32) {
    delete_fixup(n, root, x, parent, false);
}

/// [`delete_fixup`] after [`erase_first`] removed a black leaf, the left
/// child of `parent`: out of line, so that `erase_first` itself stays small
/// enough to be inlined into the expiry loop.
fn erase_first_fixup(n: &mut [Node], root: &mut u32, parent: u32) {
    delete_fixup(n, root, NIL, parent, true);
}

/// RB-DELETE-FIXUP: every path through `x` (may be `NIL`), the child of
/// `parent` (`NIL` if `x` is the root), has one black node fewer than the
/// others ("`x` is doubly black").
///
/// A red `x` just turns black. Otherwise, with `w` the sibling on the
/// other side:
/// 1. `w` red: rotate it above the parent, so the new sibling is black;
/// 2. `w` black with two black children: `w` turns red, making the whole
///    parent subtree short, and the problem moves up to the parent;
/// 3. `w` black, far child black, near child red: rotate the near child
///    above `w`, making the far child red;
/// 4. `w` black, far child red: rotate `w` above the parent, `w` takes the
///    parent's colour, the parent and the far child turn black: done.
///
/// With `left` the caller promises `x` is a left child at every step,
/// which holds after [`erase_first`]: `x` starts on the leftmost path,
/// case 1 moves the parent down to the left, and case 2 climbs that path.
/// The side is then a constant, and the other side's code folds away.
#[inline(always)]
fn delete_fixup(n: &mut [Node], root: &mut u32, mut x: u32, mut parent: u32, left: bool) {
    while parent != NIL && !is_red(n, x) {
        // In `left` mode `x`, and so the parent too (it is on the same
        // leftmost path), are left children.
        let parent_side = if left { Some(0) } else { None };
        let d = if left {
            debug_assert_eq!(at(n, parent).child(0), x);
            0
        } else {
            side_of(n, parent, x)
        };
        // The parent's other side has black height >= 1, so `w` exists.
        let mut w = at(n, parent).child(1 - d);
        if at(n, w).color == RED {
            // Case 1.
            at_mut(n, w).color = BLACK;
            at_mut(n, parent).color = RED;
            rotate(n, root, parent, d, parent_side);
            w = at(n, parent).child(1 - d);
        }
        let (near, far) = {
            let wn = at(n, w);
            (wn.child(d), wn.child(1 - d))
        };
        if !is_red(n, far) {
            if !is_red(n, near) {
                // Case 2.
                at_mut(n, w).color = RED;
                x = parent;
                parent = at(n, x).parent;
                continue;
            }
            // Case 3: `near` becomes the sibling, with the old `w` (now
            // red) as its far child.
            at_mut(n, near).color = BLACK;
            at_mut(n, w).color = RED;
            rotate(n, root, w, 1 - d, Some(1 - d));
            w = near;
        }
        // Case 4.
        let far = at(n, w).child(1 - d);
        at_mut(n, w).color = at(n, parent).color;
        at_mut(n, parent).color = BLACK;
        at_mut(n, far).color = BLACK;
        rotate(n, root, parent, d, parent_side);
        return;
    }
    if x != NIL {
        at_mut(n, x).color = BLACK;
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

    /// Xorshift generator: `rnd(m)` is uniform-ish in `0..m`.
    fn rng(mut x: u64) -> impl FnMut(u64) -> u64 {
        move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        }
    }

    /// `x` was just removed from the tree: it must carry no stale links.
    fn assert_unlinked(n: &[Node], x: u32) {
        let node = at(n, x);
        assert_eq!(node.color, UNLINKED, "colour of erased {x}");
        assert_eq!(node.parent, NIL, "parent of erased {x}");
        assert_eq!(node.kids, NO_KIDS, "children of erased {x}");
    }

    /// The leftmost node has no left child, and a right child only if that
    /// child is a red leaf (what `erase_first` relies on).
    fn assert_leftmost_shape(n: &[Node], first: u32) {
        let f = at(n, first);
        assert_eq!(f.child(0), NIL, "leftmost {first} has a left child");
        let r = f.child(1);
        if r != NIL {
            let rn = at(n, r);
            assert_eq!(rn.color, RED, "right child of leftmost not red");
            assert_eq!(rn.kids, NO_KIDS, "right child of leftmost not a leaf");
        }
    }

    /// Random inserts, erases of any node and erases of the leftmost node,
    /// checked after every step against a sorted model: every red-black
    /// property (via `validate`: black root, no red node with a red child,
    /// equal black height on every path, parent links, in-order keys),
    /// the exact order including ties, `next`, `erase_first`'s result, and
    /// the state of erased nodes.
    fn run(size: usize, rounds: usize, keys: u64, seed: u64) {
        let mut rnd = rng(seed);
        let mut n = vec![Node::VACANT; size];
        let mut root = NIL;
        // Model: (key, id) in tree order (ties in insertion order).
        let mut model: Vec<(u64, u32)> = Vec::new();
        for _ in 0..rounds {
            let i = (rnd(size as u64) as u32) << ID_SHIFT;
            let slot = (i >> ID_SHIFT) as usize;
            if !model.is_empty() && rnd(4) == 0 {
                // Erase the leftmost node through the specialised path.
                let first = model[0].1;
                assert_leftmost_shape(&n, first);
                let succ = model.get(1).map_or(NIL, |e| e.1);
                assert_eq!(next(&n, first), succ);
                assert_eq!(erase_first(&mut n, &mut root, first), succ);
                model.remove(0);
                assert_unlinked(&n, first);
            } else if n[slot].is_linked() {
                let pos = model.iter().position(|e| e.1 == i).unwrap();
                let succ = model.get(pos + 1).map_or(NIL, |e| e.1);
                assert_eq!(next(&n, i), succ);
                if pos == 0 && rnd(2) == 0 {
                    assert_eq!(erase_first(&mut n, &mut root, i), succ);
                } else {
                    erase(&mut n, &mut root, i);
                }
                model.remove(pos);
                assert_unlinked(&n, i);
            } else {
                let k = rnd(keys);
                n[slot].hard = k;
                insert(&mut n, &mut root, i);
                let pos = model.partition_point(|e| e.0 <= k);
                model.insert(pos, (k, i));
            }
            assert_eq!(validate(&n, root), model);
            if root == NIL {
                assert!(model.is_empty());
            } else {
                assert_eq!(at(&n, root).parent, NIL, "root has a parent");
            }
        }
    }

    #[test]
    fn random_insert_erase_matches_a_sorted_vec() {
        let (size, rounds) = if cfg!(miri) { (40, 300) } else { (400, 20_000) };
        run(size, rounds, 64, 0x9E37_79B9_7F4A_7C15);
        // Few ties.
        run(size, rounds, u64::MAX, 0x2545_F491_4F6C_DD1D);
    }

    #[test]
    fn small_trees_hit_the_root_cases() {
        let rounds = if cfg!(miri) { 300 } else { 5_000 };
        for (size, seed) in [(2, 3u64), (3, 5), (5, 7), (9, 11), (17, 13)] {
            run(size, rounds, 8, seed);
            run(size, rounds, u64::MAX, seed * 31);
        }
    }

    /// The W4 pattern: a full tree whose leftmost node is removed and put
    /// back with a later deadline, over and over.
    #[test]
    fn erase_first_and_reinsert_later() {
        let (size, rounds) = if cfg!(miri) { (30, 200) } else { (300, 10_000) };
        let mut rnd = rng(0xD1B5_4A32_D192_ED03);
        let mut n = vec![Node::VACANT; size];
        let mut root = NIL;
        let mut model: Vec<(u64, u32)> = Vec::new();
        for s in 0..size {
            let i = (s as u32) << ID_SHIFT;
            let k = rnd(1000);
            n[s].hard = k;
            insert(&mut n, &mut root, i);
            let pos = model.partition_point(|e| e.0 <= k);
            model.insert(pos, (k, i));
        }
        assert_eq!(validate(&n, root), model);
        for _ in 0..rounds {
            let (k0, first) = model.remove(0);
            assert_leftmost_shape(&n, first);
            let new_first = erase_first(&mut n, &mut root, first);
            assert_eq!(new_first, model[0].1);
            assert_unlinked(&n, first);
            assert_eq!(validate(&n, root), model);
            let k = k0 + 1 + rnd(1000);
            n[(first >> ID_SHIFT) as usize].hard = k;
            insert(&mut n, &mut root, first);
            let pos = model.partition_point(|e| e.0 <= k);
            model.insert(pos, (k, first));
            assert_eq!(validate(&n, root), model);
        }
    }
}

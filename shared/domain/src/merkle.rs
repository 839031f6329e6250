//! An RFC 6962 / RFC 9162 Merkle tree over a workspace's audit log: leaf
//! `i` is entry `seq = i + 1`, hashed as `SHA-256(0x00 || entry hash)`;
//! interior nodes are `SHA-256(0x01 || left || right)`. A signed tree head
//! (size, root) can then be checked with inclusion and consistency proofs.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new().chain_update([0u8]).chain_update(data).finalize().into()
}

pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new().chain_update([1u8]).chain_update(left).chain_update(right).finalize().into()
}

/// The root of an empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// MTH(D[n]) over leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The audit path of leaf `index` (RFC 6962 PATH).
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 || index >= n {
        return Vec::new();
    }
    let k = split(n);
    if index < k {
        let mut p = inclusion_proof(index, &leaves[..k]);
        p.push(root(&leaves[k..]));
        p
    } else {
        let mut p = inclusion_proof(index - k, &leaves[k..]);
        p.push(root(&leaves[..k]));
        p
    }
}

/// The consistency proof from the tree of the first `m` leaves to all of them (RFC 6962 PROOF).
pub fn consistency_proof(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    fn sub(m: usize, leaves: &[Hash], complete: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if complete { Vec::new() } else { vec![root(leaves)] };
        }
        let k = split(n);
        if m <= k {
            let mut p = sub(m, &leaves[..k], complete);
            p.push(root(&leaves[k..]));
            p
        } else {
            let mut p = sub(m - k, &leaves[k..], false);
            p.push(root(&leaves[..k]));
            p
        }
    }
    if m == 0 || m > leaves.len() {
        return Vec::new();
    }
    sub(m, leaves, true)
}

/// RFC 9162 §2.1.3.2.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && &r == root
}

/// RFC 9162 §2.1.4.2.
pub fn verify_consistency(first: u64, second: u64, first_root: &Hash, second_root: &Hash, proof: &[Hash]) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    &fr == first_root && &sr == second_root && s == 0
}

/// Hex of a hash (how heads and proofs travel).
pub fn to_hex(h: &Hash) -> String {
    hex::encode(h)
}

pub fn from_hex(s: &str) -> Option<Hash> {
    hex::decode(s).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(format!("entry {i}").as_bytes())).collect()
    }

    #[test]
    fn known_shape_of_small_trees() {
        let l = leaves(3);
        assert_eq!(root(&l), node_hash(&node_hash(&l[0], &l[1]), &l[2]));
        assert_eq!(root(&[]), empty_root());
        assert_ne!(leaf_hash(b"x"), node_hash(&[0; 32], &[0; 32]), "domain separation");
    }

    #[test]
    fn every_inclusion_proof_verifies_and_tampering_fails() {
        for n in 1..=33 {
            let l = leaves(n);
            let r = root(&l);
            for i in 0..n {
                let proof = inclusion_proof(i, &l);
                assert!(verify_inclusion(i as u64, n as u64, &l[i], &proof, &r), "n={n} i={i}");
                let other = leaf_hash(b"forged");
                assert!(!verify_inclusion(i as u64, n as u64, &other, &proof, &r));
                if !proof.is_empty() {
                    let mut bad = proof.clone();
                    bad[0][0] ^= 1;
                    assert!(!verify_inclusion(i as u64, n as u64, &l[i], &bad, &r));
                }
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_a_rewritten_past_fails() {
        for n in 1..=33 {
            let l = leaves(n);
            let rn = root(&l);
            for m in 1..=n {
                let rm = root(&l[..m]);
                let proof = consistency_proof(m, &l);
                assert!(verify_consistency(m as u64, n as u64, &rm, &rn, &proof), "m={m} n={n}");
                if m < n {
                    // Rewrite an earlier leaf: the new tree is not an extension of the old head.
                    let mut rewritten = l.clone();
                    rewritten[m - 1] = leaf_hash(b"rewritten");
                    let rn2 = root(&rewritten);
                    let proof2 = consistency_proof(m, &rewritten);
                    assert!(!verify_consistency(m as u64, n as u64, &rm, &rn2, &proof2), "m={m} n={n}");
                }
            }
        }
    }
}

//! The crate's one source of randomness: the masking key of every frame a
//! client sends (RFC 6455 §5.3) and the nonce of its opening handshake
//! (§4.1 item 7). Both must be unpredictable to the peer and to anyone
//! on the path (§10.3), so both come from the thread's generator in
//! `rand` (ChaCha, seeded and periodically reseeded from the operating
//! system), which a connection does not have to hold.

use rand::RngCore;

/// A fresh masking key (§5.3).
#[inline]
pub(crate) fn mask_key() -> [u8; 4] {
    rand::rng().next_u32().to_ne_bytes()
}

/// A fresh 16-byte handshake nonce (§4.1 item 7).
pub(crate) fn nonce() -> [u8; 16] {
    let mut nonce = [0u8; 16];
    rand::rng().fill_bytes(&mut nonce);
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_nonces_differ_from_call_to_call() {
        // A repeat among a few of them would mean a constant source.
        let keys: std::collections::HashSet<_> = (0..64).map(|_| mask_key()).collect();
        assert!(keys.len() > 60);
        assert_ne!(nonce(), nonce());
    }
}

//! Cache hints for the state a hop will touch.
//!
//! A hop waits out the clock skew (5 s, a few events on a busy fleet) before it is linked,
//! scored and recorded. Its hosts' remembered logins and arrivals and its account's habits are
//! scattered over hundreds of megabytes, so each is a cache miss when the hop is processed;
//! asking for them when the hop is queued overlaps those waits with other work. Only hints:
//! nothing here changes what is computed.

/// Cache lines asked for per slice at most.
const MAX_LINES: usize = 8;

/// Ask the CPU to bring the start of `items` (up to [`MAX_LINES`] cache lines) into cache.
#[inline]
pub(crate) fn prefetch_slice<T>(items: &[T]) {
    let bytes = std::mem::size_of_val(items).min(MAX_LINES * 64);
    let start = items.as_ptr().cast::<u8>();
    let mut offset = 0;
    while offset < bytes {
        prefetch(start.wrapping_add(offset));
        offset += 64;
    }
}

/// Ask the CPU to bring the cache line holding `item` into cache.
#[inline]
pub(crate) fn prefetch_one<T>(item: &T) {
    prefetch((item as *const T).cast::<u8>());
}

#[inline]
fn prefetch(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults (even for an address past the end of an allocation) and
    // has no effect on memory contents; SSE, which it needs, is part of every x86_64 CPU.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

//! The allocator of the `mailsim` command and of the classroom bench that measures it: mimalloc,
//! reached by its plain entry points whenever they give the alignment Rust asks for.
//!
//! A run allocates a few small buffers per event (segments, lines, replies). The `mimalloc`
//! crate's allocator asks for every block through `mi_malloc_aligned`, which checks the
//! alignment and looks for a suitably aligned block before it takes the same fast path as
//! `mi_malloc`. But almost every Rust allocation asks for an alignment `mi_malloc` gives anyway:
//! at most 16 bytes (mimalloc's `MI_MAX_ALIGN_SIZE` on 64-bit targets) and no more than the size
//! (a block of 8 bytes is 8-aligned). Those go straight to `mi_malloc` and `mi_realloc`, as
//! Rust's own `System` allocator does with `malloc`; the rest keep the aligned calls. Callgrind,
//! the classroom bench at 200 users: 385.6 M -> 379.0 M instructions a run.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// The largest alignment `mi_malloc` guarantees for a block at least that large.
const PLAIN_ALIGN: usize = 16;

/// Whether a block of `size` bytes aligned to `align` can come from the plain entry points.
fn plain(size: usize, align: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

/// mimalloc, as the global allocator (see the module's doc).
pub struct Allocator;

// SAFETY: every block comes from mimalloc and goes back to it; `mi_malloc` and `mi_realloc` are
// used only for layouts whose alignment they guarantee (see `plain`), the others go through the
// `mimalloc` crate's allocator, which asks for the alignment. `mi_free` frees blocks from either.
// (The guarantee is how mimalloc lays out its size classes, 16-byte aligned from 16 bytes on; its
// `debug` feature's guarded, precise mode would break it, and is not used here.)
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(layout.size(), layout.align()) {
            // SAFETY: a plain allocation of a non-zero size (`align <= size`, align >= 1).
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast() }
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(layout.size(), layout.align()) {
            // SAFETY: as in `alloc`; `mi_zalloc` zeroes the block.
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast() }
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(new_size, layout.align()) {
            // SAFETY: `ptr` came from mimalloc; the new block keeps an alignment `mi_realloc`
            // guarantees for its size.
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast::<c_void>(), new_size).cast() }
        } else {
            // SAFETY: the caller's contract, passed on.
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of many sizes and alignments, some kept while others are made: each is aligned as
    /// asked, holds what was written in it, and keeps it when it grows or shrinks.
    #[test]
    fn blocks_are_aligned_as_asked_and_keep_their_bytes() {
        let mut kept = Vec::new();
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 7, 8, 15, 16, 24, 33, 80, 100, 1000, 5000] {
                for round in 0..8u8 {
                    let layout = Layout::from_size_align(size, align).unwrap();
                    // SAFETY: a non-zero size; every block is freed below with its layout.
                    unsafe {
                        let p = if round % 2 == 0 {
                            Allocator.alloc(layout)
                        } else {
                            Allocator.alloc_zeroed(layout)
                        };
                        assert!(!p.is_null());
                        assert_eq!(p as usize % align, 0, "size {size}, align {align}");
                        if round % 2 == 1 {
                            assert!(std::slice::from_raw_parts(p, size).iter().all(|&b| b == 0));
                        }
                        std::ptr::write_bytes(p, round, size);
                        let new_size = if round < 4 {
                            size * 3
                        } else {
                            size.div_ceil(2)
                        };
                        let q = Allocator.realloc(p, layout, new_size);
                        assert_eq!(
                            q as usize % align,
                            0,
                            "realloc to {new_size}, align {align}"
                        );
                        let same = size.min(new_size);
                        assert!(
                            std::slice::from_raw_parts(q, same)
                                .iter()
                                .all(|&b| b == round)
                        );
                        kept.push((q, Layout::from_size_align(new_size, align).unwrap()));
                    }
                }
            }
        }
        for (p, layout) in kept {
            // SAFETY: each block came from `Allocator` with this layout.
            unsafe { Allocator.dealloc(p, layout) }
        }
    }
}

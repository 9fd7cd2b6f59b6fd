;; Hudi's DYNAMIC_V0 bloom filter hashing (Hadoop MurmurHash2, nbHash rounds per key, each seeded with
;; the previous hash, bit position = |h| mod vectorSize), 8 keys at a time in two i32x4 vectors.
;; Source of src/table/bloom-murmur-wasm.ts: regenerate it with `node scripts/bloom-build-wasm.mjs`.
;; The reference is the pure-JS path of src/table/bloom-filter.ts; results must match it bit for bit.
;;
;; hash(keys, starts, ends, n, nbHash, v, m, scr, out, row) hashes n keys, 8 at a time: key i is the
;; bytes [keys + starts[i], keys + ends[i]) (starts/ends are i32 arrays; lanes past n of the last
;; group hash an empty key and are dropped). v is vectorSize, m = min(floor(2^32 / v), 2^32 - 1).
;; When row is 0, round j's bit position of key i = 8g + l is stored as an i32 at
;; out + ((g * nbHash + j) * 8 + l) * 4; otherwise the bits are set in the bit vector at row (bit b is
;; byte b >> 3, mask 1 << (b & 7); it is updated an i32 at a time, so up to 3 bytes past its end are
;; read and written back unchanged) and out is 32 bytes of scratch.
;; scr is scratch: 128 bytes of per-lane values, then 32 bytes per 4-byte block of the longest key.
(module
  (memory (export "memory") 1)
  (func (export "hash")
    (param $keys i32) (param $starts i32) (param $ends i32) (param $n i32)
    (param $nb i32) (param $v i32) (param $m i32) (param $scr i32) (param $out i32) (param $row i32)
    (local $g i32) (local $lane i32) (local $s i32) (local $e i32) (local $len i32) (local $nbk i32)
    (local $i i32) (local $k i32) (local $t i32) (local $j i32) (local $maxnb i32) (local $blk i32)
    (local $a i32) (local $left i32) (local $o i32) (local $lim i32) (local $p i32)
    (local $M v128) (local $V v128) (local $MM v128) (local $iv v128)
    (local $lenA v128) (local $lenB v128) (local $nbA v128) (local $nbB v128)
    (local $tA v128) (local $tB v128) (local $tmA v128) (local $tmB v128)
    (local $hA v128) (local $hB v128) (local $x v128) (local $q v128) (local $pA v128) (local $pB v128)
    (local.set $M (i32x4.splat (i32.const 0x5bd1e995)))
    (local.set $V (i32x4.splat (local.get $v)))
    (local.set $MM (i32x4.splat (local.get $m)))
    (local.set $o (local.get $out))
    (block $groupsDone
      (loop $group
        ;; lim: the keys of this group, at most 8 (lanes from lim on hash an empty key)
        (local.set $lim (i32.sub (local.get $n) (i32.shl (local.get $g) (i32.const 3))))
        (br_if $groupsDone (i32.le_s (local.get $lim) (i32.const 0)))
        (if (i32.gt_u (local.get $lim) (i32.const 8)) (then (local.set $lim (i32.const 8))))
        ;; Per key (scalar): length, mixed blocks (seed-independent), tail bits and masks.
        (local.set $maxnb (i32.const 0))
        (local.set $lane (i32.const 0))
        (loop $prep
          (local.set $a (i32.shl (i32.add (i32.shl (local.get $g) (i32.const 3)) (local.get $lane)) (i32.const 2)))
          (local.set $s (i32.const 0))
          (local.set $e (i32.const 0))
          (if (i32.lt_u (local.get $lane) (local.get $lim))
            (then
              (local.set $s (i32.load (i32.add (local.get $starts) (local.get $a))))
              (local.set $e (i32.load (i32.add (local.get $ends) (local.get $a))))))
          (local.set $len (i32.sub (local.get $e) (local.get $s)))
          (local.set $nbk (i32.shr_u (local.get $len) (i32.const 2)))
          (local.set $a (i32.add (local.get $scr) (i32.shl (local.get $lane) (i32.const 2))))
          (i32.store (local.get $a) (local.get $len))
          (i32.store offset=32 (local.get $a) (local.get $nbk))
          (if (i32.gt_u (local.get $nbk) (local.get $maxnb)) (then (local.set $maxnb (local.get $nbk))))
          (local.set $blk (i32.add (local.get $a) (i32.const 128)))
          (local.set $s (i32.add (local.get $keys) (local.get $s)))
          (local.set $i (i32.const 0))
          (block $mixed
            (loop $mix
              (br_if $mixed (i32.ge_u (local.get $i) (local.get $nbk)))
              (local.set $k (i32.mul (i32.load (local.get $s)) (i32.const 0x5bd1e995)))
              (local.set $k (i32.mul (i32.xor (local.get $k) (i32.shr_u (local.get $k) (i32.const 24)))
                                     (i32.const 0x5bd1e995)))
              (i32.store (local.get $blk) (local.get $k))
              (local.set $s (i32.add (local.get $s) (i32.const 4)))
              (local.set $blk (i32.add (local.get $blk) (i32.const 32)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $mix)))
          ;; Hadoop's tail: bytes counted back from the end, sign-extended like Java bytes.
          (local.set $e (i32.add (local.get $keys) (local.get $e)))
          (local.set $left (i32.and (local.get $len) (i32.const 3)))
          (local.set $t (i32.const 0))
          (if (i32.ge_u (local.get $left) (i32.const 3))
            (then (local.set $t (i32.shl (i32.load8_s (i32.sub (local.get $e) (i32.const 3))) (i32.const 16)))))
          (if (i32.ge_u (local.get $left) (i32.const 2))
            (then (local.set $t (i32.xor (local.get $t)
                    (i32.shl (i32.load8_s (i32.sub (local.get $e) (i32.const 2))) (i32.const 8))))))
          (if (i32.ge_u (local.get $left) (i32.const 1))
            (then (local.set $t (i32.xor (local.get $t) (i32.load8_s (i32.sub (local.get $e) (i32.const 1)))))))
          (i32.store offset=64 (local.get $a) (local.get $t))
          (i32.store offset=96 (local.get $a) (i32.sub (i32.const 0) (i32.ne (local.get $left) (i32.const 0))))
          (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
          (br_if $prep (i32.lt_u (local.get $lane) (i32.const 8))))
        (local.set $lenA (v128.load (local.get $scr)))
        (local.set $lenB (v128.load offset=16 (local.get $scr)))
        (local.set $nbA (v128.load offset=32 (local.get $scr)))
        (local.set $nbB (v128.load offset=48 (local.get $scr)))
        (local.set $tA (v128.load offset=64 (local.get $scr)))
        (local.set $tB (v128.load offset=80 (local.get $scr)))
        (local.set $tmA (v128.load offset=96 (local.get $scr)))
        (local.set $tmB (v128.load offset=112 (local.get $scr)))
        (local.set $hA (v128.const i32x4 0 0 0 0))
        (local.set $hB (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $round
          ;; seed ^ length, then the blocks (lanes past their key's last block keep h), then the tail.
          (local.set $hA (v128.xor (local.get $hA) (local.get $lenA)))
          (local.set $hB (v128.xor (local.get $hB) (local.get $lenB)))
          (local.set $i (i32.const 0))
          (local.set $blk (i32.add (local.get $scr) (i32.const 128)))
          (block $blocksDone
            (loop $blocks
              (br_if $blocksDone (i32.ge_u (local.get $i) (local.get $maxnb)))
              (local.set $iv (i32x4.splat (local.get $i)))
              (local.set $hA (v128.bitselect
                (v128.xor (i32x4.mul (local.get $hA) (local.get $M)) (v128.load (local.get $blk)))
                (local.get $hA)
                (i32x4.gt_s (local.get $nbA) (local.get $iv))))
              (local.set $hB (v128.bitselect
                (v128.xor (i32x4.mul (local.get $hB) (local.get $M)) (v128.load offset=16 (local.get $blk)))
                (local.get $hB)
                (i32x4.gt_s (local.get $nbB) (local.get $iv))))
              (local.set $blk (i32.add (local.get $blk) (i32.const 32)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $blocks)))
          (local.set $hA (v128.bitselect
            (i32x4.mul (v128.xor (local.get $hA) (local.get $tA)) (local.get $M)) (local.get $hA) (local.get $tmA)))
          (local.set $hB (v128.bitselect
            (i32x4.mul (v128.xor (local.get $hB) (local.get $tB)) (local.get $M)) (local.get $hB) (local.get $tmB)))
          ;; finish: h ^= h >>> 13; h *= M; h ^= h >>> 15
          (local.set $hA (v128.xor (local.get $hA) (i32x4.shr_u (local.get $hA) (i32.const 13))))
          (local.set $hB (v128.xor (local.get $hB) (i32x4.shr_u (local.get $hB) (i32.const 13))))
          (local.set $hA (i32x4.mul (local.get $hA) (local.get $M)))
          (local.set $hB (i32x4.mul (local.get $hB) (local.get $M)))
          (local.set $hA (v128.xor (local.get $hA) (i32x4.shr_u (local.get $hA) (i32.const 15))))
          (local.set $hB (v128.xor (local.get $hB) (i32x4.shr_u (local.get $hB) (i32.const 15))))
          ;; Java's Math.abs(h % v) = |h| mod v, |MIN_INT| = 2^31 as unsigned. q = (x * m) >> 32 is
          ;; floor(x / v) or one less (x <= 2^31), so one conditional subtraction makes r exact.
          (local.set $x (i32x4.abs (local.get $hA)))
          (local.set $q (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
            (i64x2.extmul_low_i32x4_u (local.get $x) (local.get $MM))
            (i64x2.extmul_high_i32x4_u (local.get $x) (local.get $MM))))
          (local.set $x (i32x4.sub (local.get $x) (i32x4.mul (local.get $q) (local.get $V))))
          (local.set $pA
            (i32x4.sub (local.get $x) (v128.and (local.get $V) (i32x4.ge_u (local.get $x) (local.get $V)))))
          (local.set $x (i32x4.abs (local.get $hB)))
          (local.set $q (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31
            (i64x2.extmul_low_i32x4_u (local.get $x) (local.get $MM))
            (i64x2.extmul_high_i32x4_u (local.get $x) (local.get $MM))))
          (local.set $x (i32x4.sub (local.get $x) (i32x4.mul (local.get $q) (local.get $V))))
          (local.set $pB
            (i32x4.sub (local.get $x) (v128.and (local.get $V) (i32x4.ge_u (local.get $x) (local.get $V)))))
          ;; Bit b is byte b >> 3, mask 1 << (b & 7): in a little-endian i32, word b >> 5, mask 1 << (b & 31).
          (if (i32.eqz (local.get $row))
            (then
              (v128.store (local.get $o) (local.get $pA))
              (v128.store offset=16 (local.get $o) (local.get $pB))
              (local.set $o (i32.add (local.get $o) (i32.const 32))))
            (else (if (i32.eq (local.get $lim) (i32.const 8))
              (then
                (local.set $p (i32x4.extract_lane 0 (local.get $pA)))
                (local.set $a (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                (i32.store (local.get $a) (i32.or (i32.load (local.get $a)) (i32.shl (i32.const 1) (local.get $p))))
                (local.set $p (i32x4.extract_lane 1 (local.get $pA)))
                (local.set $a (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                (i32.store (local.get $a) (i32.or (i32.load (local.get $a)) (i32.shl (i32.const 1) (local.get $p))))
                (local.set $p (i32x4.extract_lane 2 (local.get $pA)))
                (local.set $a (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                (i32.store (local.get $a) (i32.or (i32.load (local.get $a)) (i32.shl (i32.const 1) (local.get $p))))
                (local.set $p (i32x4.extract_lane 3 (local.get $pA)))
                (local.set $a (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                (i32.store (local.get $a) (i32.or (i32.load (local.get $a)) (i32.shl (i32.const 1) (local.get $p))))
                (local.set $p (i32x4.extract_lane 0 (local.get $pB)))
                (local.set $a (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                (i32.store (local.get $a) (i32.or (i32.load (local.get $a)) (i32.shl (i32.const 1) (local.get $p))))
                (local.set $p (i32x4.extract_lane 1 (local.get $pB)))
                (local.set $a (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                (i32.store (local.get $a) (i32.or (i32.load (local.get $a)) (i32.shl (i32.const 1) (local.get $p))))
                (local.set $p (i32x4.extract_lane 2 (local.get $pB)))
                (local.set $a (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                (i32.store (local.get $a) (i32.or (i32.load (local.get $a)) (i32.shl (i32.const 1) (local.get $p))))
                (local.set $p (i32x4.extract_lane 3 (local.get $pB)))
                (local.set $a (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                (i32.store (local.get $a) (i32.or (i32.load (local.get $a)) (i32.shl (i32.const 1) (local.get $p))))
              )
              (else
                (v128.store (local.get $o) (local.get $pA))
                (v128.store offset=16 (local.get $o) (local.get $pB))
                (local.set $lane (i32.const 0))
                (loop $set
                  (local.set $p (i32.load (i32.add (local.get $o) (i32.shl (local.get $lane) (i32.const 2)))))
                  (local.set $a (i32.add (local.get $row) (i32.shl (i32.shr_u (local.get $p) (i32.const 5)) (i32.const 2))))
                  (i32.store (local.get $a) (i32.or (i32.load (local.get $a)) (i32.shl (i32.const 1) (local.get $p))))
                  (local.set $lane (i32.add (local.get $lane) (i32.const 1)))
                  (br_if $set (i32.lt_u (local.get $lane) (local.get $lim))))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $round (i32.lt_u (local.get $j) (local.get $nb))))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $group)))))

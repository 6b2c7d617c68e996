;; Polyphase FIR kernel of the resampler (WebAssembly with 128-bit SIMD).
;; Source of the bytes embedded in resampler-kernel-wasm.ts; regenerate them
;; with `pnpm --filter @prx-voice/media kernel` after editing this file
;; (scripts/assemble-kernel.ts; a test checks that the two agree).
;;
;; run computes `count` outputs. Output k is the dot product of phase row
;; `phase` of the coefficient table with the history from sample `start`; then
;; the position advances by stepWhole samples and stepPhase / up of a sample.
;; Rows hold `stride` float32 coefficients, a multiple of 8, zero-padded.
;; The sum is rounded to nearest (ties to even) and saturated to int16.
(module
  (import "env" "memory" (memory 1))
  (func (export "run")
    (param $coef i32)      ;; byte offset of the coefficient table
    (param $stride i32)    ;; floats per phase row, multiple of 8
    (param $hist i32)      ;; byte offset of the float32 history
    (param $start i32)     ;; history index of the first output's first tap
    (param $phase i32)     ;; phase row of the first output, 0 <= phase < up
    (param $up i32)
    (param $stepWhole i32)
    (param $stepPhase i32)
    (param $count i32)     ;; outputs to compute
    (param $out i32)       ;; byte offset of the int16 output
    (local $c i32) (local $h i32) (local $end i32)
    (local $acc v128) (local $acc2 v128) (local $v i32)
    (block $done
      (loop $outputs
        (br_if $done (i32.eqz (local.get $count)))
        (local.set $c (i32.add (local.get $coef)
          (i32.shl (i32.mul (local.get $phase) (local.get $stride)) (i32.const 2))))
        (local.set $h (i32.add (local.get $hist) (i32.shl (local.get $start) (i32.const 2))))
        (local.set $end (i32.add (local.get $c) (i32.shl (local.get $stride) (i32.const 2))))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $acc2 (v128.const f32x4 0 0 0 0))
        ;; Eight taps per iteration in two independent accumulators.
        (loop $taps
          (local.set $acc (f32x4.add (local.get $acc)
            (f32x4.mul (v128.load (local.get $c)) (v128.load (local.get $h)))))
          (local.set $acc2 (f32x4.add (local.get $acc2)
            (f32x4.mul (v128.load offset=16 (local.get $c)) (v128.load offset=16 (local.get $h)))))
          (local.set $c (i32.add (local.get $c) (i32.const 32)))
          (local.set $h (i32.add (local.get $h) (i32.const 32)))
          (br_if $taps (i32.lt_u (local.get $c) (local.get $end))))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $acc2)))
        (local.set $v (i32.trunc_sat_f32_s (f32.nearest
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))))
        (local.set $v (select (i32.const 32767) (local.get $v) (i32.gt_s (local.get $v) (i32.const 32767))))
        (local.set $v (select (i32.const -32768) (local.get $v) (i32.lt_s (local.get $v) (i32.const -32768))))
        (i32.store16 (local.get $out) (local.get $v))
        (local.set $out (i32.add (local.get $out) (i32.const 2)))
        (local.set $start (i32.add (local.get $start) (local.get $stepWhole)))
        (local.set $phase (i32.add (local.get $phase) (local.get $stepPhase)))
        (if (i32.ge_u (local.get $phase) (local.get $up))
          (then
            (local.set $phase (i32.sub (local.get $phase) (local.get $up)))
            (local.set $start (i32.add (local.get $start) (i32.const 1)))))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $outputs)))))

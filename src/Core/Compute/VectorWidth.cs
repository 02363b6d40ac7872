namespace SegaLearn.Compute;

/// <summary>
/// The SIMD width <see cref="SimdBackend"/> computes with. <see cref="Auto"/> takes the widest the hardware
/// accelerates; the others force a path so that tests can check every fallback on one machine. Every width computes
/// the same bits; they differ only in speed.
/// </summary>
public enum VectorWidth
{
    Auto,
    V512,
    V256,
    V128,
    Scalar,
}

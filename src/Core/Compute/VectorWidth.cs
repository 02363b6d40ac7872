namespace SegaLearn.Compute;

/// <summary>
/// The SIMD width <see cref="SimdBackend"/> computes with. <see cref="Auto"/> takes the widest the hardware
/// accelerates; the others force a path so that tests can check every fallback on one machine.
/// </summary>
public enum VectorWidth
{
    Auto,
    V256,
    V128,
    Scalar,
}

namespace SegaLearn.Protocol;

/// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (equal lengths), e.g. on a compute backend's threads.</summary>
public delegate void TensorCopy(ReadOnlySpan<float> source, Span<float> destination);

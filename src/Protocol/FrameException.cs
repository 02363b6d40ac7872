namespace SegaLearn.Protocol;

/// <summary>A data-plane frame is malformed (truncated, bad magic, wrong version or job, checksum mismatch, too large).</summary>
public sealed class FrameException(string message) : IOException(message);

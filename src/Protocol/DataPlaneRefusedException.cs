namespace SegaLearn.Protocol;

/// <summary>The coordinator's data plane refused a worker's Hello (wrong job id or token, or the worker id is connected already).</summary>
public sealed class DataPlaneRefusedException(string message) : IOException(message);

namespace SegaLearn.Training;

/// <summary>
/// The precision of the tensors that workers and the coordinator exchange, and so of the numbers training computes with
/// wherever it runs (one process included, which rounds the same way so that the bits do not depend on placement).
/// </summary>
public enum WireFormat
{
    /// <summary>float32 everywhere: parameters and every node of the reduction tree exact to float32 (4 bytes an element on the wire).</summary>
    Float32,

    /// <summary>
    /// bfloat16 on the wire (2 bytes an element): the coordinator keeps float32 parameters and optimizer state and
    /// updates them in float32, but every gradient is computed at the parameters rounded to bfloat16, and every node of
    /// the reduction tree (each microbatch's gradient and each sum of two subtrees) is rounded to bfloat16
    /// (<see cref="Compute.BFloat16"/>, ties to even). The sums themselves are added in float32 before their rounding.
    /// </summary>
    BFloat16,
}

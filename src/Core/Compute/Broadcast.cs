using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

/// <summary>One operator parameter, broadcast once to every width so that no loop iteration broadcasts it again.</summary>
internal readonly struct Broadcast(float value)
{
    public readonly float Scalar = value;

    public readonly Vector128<float> V128 = Vector128.Create(value);

    public readonly Vector256<float> V256 = Vector256.Create(value);

    public readonly Vector512<float> V512 = Vector512.Create(value);
}

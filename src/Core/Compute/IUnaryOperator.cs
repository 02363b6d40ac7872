using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

/// <summary>
/// A lane-wise function of one operand, run by <see cref="WidthLoop.Map"/>: every overload performs the same operations
/// in the same order, so a lane of any width and a scalar give the same bits.
/// </summary>
internal interface IUnaryOperator
{
    float Invoke(float x);

    Vector128<float> Invoke(Vector128<float> x);

    Vector256<float> Invoke(Vector256<float> x);

    Vector512<float> Invoke(Vector512<float> x);
}

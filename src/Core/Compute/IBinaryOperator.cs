using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

/// <summary>A lane-wise function of two operands, run by <see cref="WidthLoop.Zip"/>, with one sequence of operations in every overload.</summary>
internal interface IBinaryOperator
{
    float Invoke(float x, float y);

    Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);

    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);

    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

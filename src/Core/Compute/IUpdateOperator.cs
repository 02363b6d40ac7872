using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

/// <summary>
/// An optimizer's rule for one weight, run by <see cref="WidthLoop.Update"/>: it updates the weight <c>w</c> and its
/// first <see cref="States"/> state values (<c>s1</c>, <c>s2</c>) in place from the raw gradient <c>g</c>, with one
/// sequence of operations in every overload.
/// </summary>
internal interface IUpdateOperator
{
    /// <summary>How many state arrays (0, 1 or 2) the rule reads and writes; the loop touches no other.</summary>
    static abstract int States { get; }

    void Invoke(ref float w, float g, ref float s1, ref float s2);

    void Invoke(ref Vector128<float> w, Vector128<float> g, ref Vector128<float> s1, ref Vector128<float> s2);

    void Invoke(ref Vector256<float> w, Vector256<float> g, ref Vector256<float> s1, ref Vector256<float> s2);

    void Invoke(ref Vector512<float> w, Vector512<float> g, ref Vector512<float> s1, ref Vector512<float> s2);
}

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SegaLearn.Compute;

public sealed partial class SimdBackend
{
    // Each update is one pass over its arrays, element by element, memory-bound, on the calling thread (splitting it
    // over threads measured slower on the shared 2-core machine). SGD and Adadelta use the reference's operations in
    // the reference's order and no fused multiply-adds, so they give the reference's bits; Adam divides once instead
    // of three times (as PyTorch does: w -= (lr/c1)·m / (√v/√c2 + ε)), which rounds differently in the last bits.

    public void AdamUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamStep step)
    {
        var length = w.Length;
        g = g[..length];
        m = m[..length];
        v = v[..length];
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var gr = ref MemoryMarshal.GetReference(g);
        ref var mr = ref MemoryMarshal.GetReference(m);
        ref var vr = ref MemoryMarshal.GetReference(v);
        var stepScale = step.LearningRate / step.BiasCorrection1;
        var rootCorrection2 = 1f / MathF.Sqrt(step.BiasCorrection2);
        var rateDecay = step.LearningRate * step.Decay;
        var i = 0;
        if (Wide)
        {
            var beta1 = Vector256.Create(step.Beta1);
            var beta2 = Vector256.Create(step.Beta2);
            var rest1 = Vector256.Create(1f - step.Beta1);
            var rest2 = Vector256.Create(1f - step.Beta2);
            var stepSize = Vector256.Create(stepScale);
            var root2 = Vector256.Create(rootCorrection2);
            var epsilon = Vector256.Create(step.Epsilon);
            var shrink = Vector256.Create(rateDecay);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var mi = beta1 * Vector256.LoadUnsafe(ref mr, (nuint)i) + rest1 * gi;
                var vi = beta2 * Vector256.LoadUnsafe(ref vr, (nuint)i) + rest2 * gi * gi;
                var wi = Vector256.LoadUnsafe(ref wr, (nuint)i);
                wi -= stepSize * mi / (Vector256.Sqrt(vi) * root2 + epsilon) + shrink * wi;
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                wi.StoreUnsafe(ref wr, (nuint)i);
            }
        }

        if (Vectorized)
        {
            var beta1 = Vector128.Create(step.Beta1);
            var beta2 = Vector128.Create(step.Beta2);
            var rest1 = Vector128.Create(1f - step.Beta1);
            var rest2 = Vector128.Create(1f - step.Beta2);
            var stepSize = Vector128.Create(stepScale);
            var root2 = Vector128.Create(rootCorrection2);
            var epsilon = Vector128.Create(step.Epsilon);
            var shrink = Vector128.Create(rateDecay);
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var gi = Vector128.LoadUnsafe(ref gr, (nuint)i);
                var mi = beta1 * Vector128.LoadUnsafe(ref mr, (nuint)i) + rest1 * gi;
                var vi = beta2 * Vector128.LoadUnsafe(ref vr, (nuint)i) + rest2 * gi * gi;
                var wi = Vector128.LoadUnsafe(ref wr, (nuint)i);
                wi -= stepSize * mi / (Vector128.Sqrt(vi) * root2 + epsilon) + shrink * wi;
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                wi.StoreUnsafe(ref wr, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            m[i] = step.Beta1 * m[i] + (1f - step.Beta1) * g[i];
            v[i] = step.Beta2 * v[i] + (1f - step.Beta2) * g[i] * g[i];
            w[i] -= stepScale * m[i] / (MathF.Sqrt(v[i]) * rootCorrection2 + step.Epsilon) + rateDecay * w[i];
        }
    }

    public void SgdUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> velocity, float learningRate, float momentum, float decay)
    {
        var length = w.Length;
        g = g[..length];
        velocity = velocity[..length];
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var gr = ref MemoryMarshal.GetReference(g);
        ref var vr = ref MemoryMarshal.GetReference(velocity);
        var rateDecay = learningRate * decay;
        var i = 0;
        if (Wide)
        {
            var mu = Vector256.Create(momentum);
            var rate = Vector256.Create(learningRate);
            var shrink = Vector256.Create(rateDecay);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var vi = mu * Vector256.LoadUnsafe(ref vr, (nuint)i) - rate * Vector256.LoadUnsafe(ref gr, (nuint)i);
                var wi = Vector256.LoadUnsafe(ref wr, (nuint)i);
                wi += vi - shrink * wi;
                vi.StoreUnsafe(ref vr, (nuint)i);
                wi.StoreUnsafe(ref wr, (nuint)i);
            }
        }

        if (Vectorized)
        {
            var mu = Vector128.Create(momentum);
            var rate = Vector128.Create(learningRate);
            var shrink = Vector128.Create(rateDecay);
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var vi = mu * Vector128.LoadUnsafe(ref vr, (nuint)i) - rate * Vector128.LoadUnsafe(ref gr, (nuint)i);
                var wi = Vector128.LoadUnsafe(ref wr, (nuint)i);
                wi += vi - shrink * wi;
                vi.StoreUnsafe(ref vr, (nuint)i);
                wi.StoreUnsafe(ref wr, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            velocity[i] = momentum * velocity[i] - learningRate * g[i];
            w[i] += velocity[i] - rateDecay * w[i];
        }
    }

    public void AdadeltaUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> squaredGradients, Span<float> squaredUpdates, float learningRate, float rho, float epsilon, float decay)
    {
        var length = w.Length;
        g = g[..length];
        squaredGradients = squaredGradients[..length];
        squaredUpdates = squaredUpdates[..length];
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var gr = ref MemoryMarshal.GetReference(g);
        ref var sgr = ref MemoryMarshal.GetReference(squaredGradients);
        ref var sur = ref MemoryMarshal.GetReference(squaredUpdates);
        var rateDecay = learningRate * decay;
        var i = 0;
        if (Wide)
        {
            var r = Vector256.Create(rho);
            var rest = Vector256.Create(1f - rho);
            var eps = Vector256.Create(epsilon);
            var rate = Vector256.Create(learningRate);
            var shrink = Vector256.Create(rateDecay);
            for (; i <= length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var sg = r * Vector256.LoadUnsafe(ref sgr, (nuint)i) + rest * gi * gi;
                var su = Vector256.LoadUnsafe(ref sur, (nuint)i);
                var delta = -Vector256.Sqrt(su + eps) / Vector256.Sqrt(sg + eps) * gi;
                su = r * su + rest * delta * delta;
                var wi = Vector256.LoadUnsafe(ref wr, (nuint)i);
                wi += rate * delta - shrink * wi;
                sg.StoreUnsafe(ref sgr, (nuint)i);
                su.StoreUnsafe(ref sur, (nuint)i);
                wi.StoreUnsafe(ref wr, (nuint)i);
            }
        }

        if (Vectorized)
        {
            var r = Vector128.Create(rho);
            var rest = Vector128.Create(1f - rho);
            var eps = Vector128.Create(epsilon);
            var rate = Vector128.Create(learningRate);
            var shrink = Vector128.Create(rateDecay);
            for (; i <= length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var gi = Vector128.LoadUnsafe(ref gr, (nuint)i);
                var sg = r * Vector128.LoadUnsafe(ref sgr, (nuint)i) + rest * gi * gi;
                var su = Vector128.LoadUnsafe(ref sur, (nuint)i);
                var delta = -Vector128.Sqrt(su + eps) / Vector128.Sqrt(sg + eps) * gi;
                su = r * su + rest * delta * delta;
                var wi = Vector128.LoadUnsafe(ref wr, (nuint)i);
                wi += rate * delta - shrink * wi;
                sg.StoreUnsafe(ref sgr, (nuint)i);
                su.StoreUnsafe(ref sur, (nuint)i);
                wi.StoreUnsafe(ref wr, (nuint)i);
            }
        }

        for (; i < length; i++)
        {
            squaredGradients[i] = rho * squaredGradients[i] + (1f - rho) * g[i] * g[i];
            var delta = -MathF.Sqrt(squaredUpdates[i] + epsilon) / MathF.Sqrt(squaredGradients[i] + epsilon) * g[i];
            squaredUpdates[i] = rho * squaredUpdates[i] + (1f - rho) * delta * delta;
            w[i] += learningRate * delta - rateDecay * w[i];
        }
    }
}

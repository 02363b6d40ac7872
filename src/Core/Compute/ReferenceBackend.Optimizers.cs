namespace SegaLearn.Compute;

// Every value an update stores (weights and optimizer state) goes through Denormals.Flush before anything reads it,
// and the gradient is flushed as it is read, exactly as the accelerated backend does.
public sealed partial class ReferenceBackend
{
    public void AdamUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamStep step, GradientTransform transform, Span<float> mirror = default)
    {
        UpdateMirror.Check(w.Length, mirror.Length);
        for (var i = 0; i < w.Length; i++)
        {
            var gi = Denormals.Flush(g[i]) * transform.Scale + transform.L2 * w[i];
            m[i] = Denormals.Flush(step.Beta1 * m[i] + (1f - step.Beta1) * gi);
            v[i] = Denormals.Flush(step.Beta2 * v[i] + (1f - step.Beta2) * gi * gi);
            var mHat = m[i] / step.BiasCorrection1;
            var vHat = v[i] / step.BiasCorrection2;
            w[i] = Denormals.Flush(w[i] - step.LearningRate * (mHat / (MathF.Sqrt(vHat) + step.Epsilon) + step.Decay * w[i]));
        }

        UpdateMirror.Fill(w, mirror);
    }

    public void SgdUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> velocity, float learningRate, float momentum, float decay, GradientTransform transform, Span<float> mirror = default)
    {
        UpdateMirror.Check(w.Length, mirror.Length);
        for (var i = 0; i < w.Length; i++)
        {
            var gi = Denormals.Flush(g[i]) * transform.Scale + transform.L2 * w[i];
            var step = momentum == 0f ? 0f - learningRate * gi : Denormals.Flush(momentum * velocity[i] - learningRate * gi);
            if (momentum != 0f)
            {
                velocity[i] = step;
            }

            w[i] = Denormals.Flush(w[i] + (step - learningRate * decay * w[i]));
        }

        UpdateMirror.Fill(w, mirror);
    }

    public void AdadeltaUpdate(
        Span<float> w, ReadOnlySpan<float> g, Span<float> squaredGradients, Span<float> squaredUpdates, float learningRate, float rho, float epsilon, float decay, GradientTransform transform,
        Span<float> mirror = default)
    {
        UpdateMirror.Check(w.Length, mirror.Length);
        for (var i = 0; i < w.Length; i++)
        {
            var gi = Denormals.Flush(g[i]) * transform.Scale + transform.L2 * w[i];
            squaredGradients[i] = Denormals.Flush(rho * squaredGradients[i] + (1f - rho) * gi * gi);
            var delta = -MathF.Sqrt(squaredUpdates[i] + epsilon) / MathF.Sqrt(squaredGradients[i] + epsilon) * gi;
            squaredUpdates[i] = Denormals.Flush(rho * squaredUpdates[i] + (1f - rho) * delta * delta);
            w[i] = Denormals.Flush(w[i] + (learningRate * delta - learningRate * decay * w[i]));
        }

        UpdateMirror.Fill(w, mirror);
    }
}

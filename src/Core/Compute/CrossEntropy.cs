namespace SegaLearn.Compute;

/// <summary>
/// What every backend's losses share: the seed's epsilon inside the logs, and sigmoid binary cross-entropy in double,
/// one exp and two logs per row, cheap next to the products, so the interface's exact conventions (see
/// <see cref="IComputeBackend.SigmoidBinaryCrossEntropy"/>) live in one place.
/// </summary>
internal static class CrossEntropy
{
    /// <summary>Added to a probability before its log, as the seed does (<c>np.log(p + 1e-15)</c>).</summary>
    public const double LogEpsilon = 1e-15;

    public static double SigmoidBinary(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, Span<float> gradient, int rows)
    {
        double loss = 0;
        for (var i = 0; i < rows; i++)
        {
            double z = logits[i];
            var p = StableSigmoid(z);
            var q = 1.0 - p;
            double y = labels[i];
            loss -= y * Math.Log(p + LogEpsilon) + (1 - y) * Math.Log(q + LogEpsilon);
            probabilities[i] = Denormals.Flush((float)p);
            gradient[i] = Denormals.Flush((float)(p - y));
        }

        return loss;
    }

    /// <summary>σ(z) without overflow: exp of a non-positive argument only.</summary>
    public static double StableSigmoid(double z)
    {
        if (z >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-z));
        }

        var e = Math.Exp(z);
        return e / (1.0 + e);
    }
}

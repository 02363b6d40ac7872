namespace SegaLearn.Compute;

/// <summary>
/// The regression losses of <see cref="LossKind"/> on predictions and targets (rows × outputs), in double, one pass:
/// cheap next to the products, so every backend shares it and the formulas live in one place. Per row the loss is the
/// mean over its outputs, so the trainer's division by the sample count gives the mean over all values, the original's
/// <c>np.mean</c>.
/// </summary>
internal static class RegressionLoss
{
    /// <summary>
    /// Writes the gradient of each row's loss with respect to each prediction to <paramref name="gradient"/> and
    /// returns the loss summed over the rows. With <c>e = prediction - target</c> and k outputs: MSE <c>e²/k</c>
    /// (gradient <c>2e/k</c>), MAE <c>|e|/k</c> (<c>sign(e)/k</c>, 0 at e = 0), Huber <c>½e²/k</c> for |e| ≤ δ and
    /// <c>δ(|e| - ½δ)/k</c> beyond (<c>e/k</c>, <c>δ·sign(e)/k</c>).
    /// </summary>
    public static double Compute(LossKind loss, double huberDelta, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient, int outputs)
    {
        var perOutput = 1.0 / outputs;
        double sum = 0;
        for (var i = 0; i < predictions.Length; i++)
        {
            var e = (double)predictions[i] - targets[i];
            var size = Math.Abs(e);
            double value, slope;
            switch (loss)
            {
                case LossKind.MeanSquaredError:
                    value = e * e;
                    slope = 2 * e;
                    break;
                case LossKind.MeanAbsoluteError:
                    value = size;
                    slope = Math.Sign(e);
                    break;
                case LossKind.Huber:
                    (value, slope) = size <= huberDelta ? (0.5 * e * e, e) : (huberDelta * (size - 0.5 * huberDelta), huberDelta * Math.Sign(e));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(loss), loss, "not a regression loss");
            }

            sum += value;
            gradient[i] = Denormals.Flush((float)(slope * perOutput));
        }

        return sum * perOutput;
    }
}

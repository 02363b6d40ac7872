namespace SegaLearn;

/// <summary>
/// The losses of the seed module: two for classification, three for regression (its regressor's). Every loss is the
/// mean over the rows; a regression loss is also the mean over the outputs, as NumPy's <c>np.mean</c> over
/// <c>y_pred - y_true</c> in the original, with <c>e = prediction - target</c> per output.
/// </summary>
public enum LossKind
{
    /// <summary>Softmax of the logits, then <c>-Σ y·log(p + 1e-15) / m</c> with one-hot targets.</summary>
    CrossEntropy,

    /// <summary>Sigmoid of the logits, then <c>-mean(y·log(p + 1e-15) + (1-y)·log(1-p + 1e-15))</c>.</summary>
    BinaryCrossEntropy,

    /// <summary>Mean squared error, <c>mean(e²)</c>; gradient <c>2·e / (m·k)</c> for m rows of k outputs.</summary>
    MeanSquaredError,

    /// <summary>Mean absolute error, <c>mean(|e|)</c>; gradient <c>sign(e) / (m·k)</c>, 0 where e = 0 (as <c>np.sign</c>).</summary>
    MeanAbsoluteError,

    /// <summary>
    /// Huber loss with threshold δ (<see cref="NetworkArchitecture.HuberDelta"/>, default 1.0):
    /// <c>mean(|e| ≤ δ ? ½·e² : δ·(|e| - ½·δ))</c>; gradient <c>(|e| ≤ δ ? e : δ·sign(e)) / (m·k)</c>.
    /// </summary>
    Huber,
}

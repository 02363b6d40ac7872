namespace SegaLearn.Compute;

/// <summary>
/// The numerical kernels training needs, over row-major float32 spans. Shapes are checked by the callers at
/// the API boundary (the network, the optimizers), never inside these kernels' inner loops.
/// <see cref="ReferenceBackend"/> is the readable oracle; accelerated backends must agree with it to rounding.
/// Disposing a backend stops the threads it started; whoever creates one for a job disposes it when the job ends.
/// </summary>
public interface IComputeBackend : IDisposable
{
    /// <summary>Short name used by <c>--backend</c> and <c>SEGALEARN_BACKEND</c>.</summary>
    string Name { get; }

    /// <summary>One line for logs: name, vector width, threads.</summary>
    string Describe();

    /// <summary>
    /// Everything that decides this backend's bits, the same string on every machine that computes the same bits for
    /// the same inputs (never the thread count, which changes none): a distributed job refuses a worker whose
    /// identity differs from its coordinator's, since its gradients would differ in the last bits.
    /// </summary>
    string NumericIdentity { get; }

    /// <summary>
    /// Says the caller will not use the backend for a while (it waits for other processes): helper threads, which
    /// otherwise spin briefly for the next kernel, go to sleep at once and leave the cores to those processes. Until a
    /// product or an optimizer update wakes them, sums (<see cref="Add(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>)
    /// run on the calling thread alone: one memory-bound pass gains less from a second thread than waking it costs.
    /// </summary>
    void Rest();

    /// <summary>
    /// <c>C[m×n] = op(A)·op(B) + beta·C</c> with beta 0 or 1, where op(A) is m×k (A stored k×m when
    /// <paramref name="transposeA"/>) and op(B) is k×n (B stored n×k when <paramref name="transposeB"/>).
    /// With beta 0, C's previous contents are ignored (NaN in C does not leak).
    /// </summary>
    void Gemm(bool transposeA, bool transposeB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, float beta);

    /// <summary>
    /// A dense layer's forward pass: <c>z = x·w + bias</c> (x rows×depth, w depth×cols, bias added to every row),
    /// then <c>output = act(z)</c>; the same as <see cref="Gemm"/> then <see cref="BiasActivation"/>, which a backend
    /// may fuse (the accelerated one finishes each output tile while it is still in the computing core's cache).
    /// <paramref name="rowOrder"/>, when not empty, is a permutation of the rows that a backend may follow when it
    /// groups rows (rows with zeros in the same places, next to each other, let it skip more); rows are independent
    /// here, so the results are the same bits in any order.
    /// </summary>
    void LinearForward(
        int rows, int cols, int depth, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> z, Span<float> output, Activation activation, ReadOnlySpan<int> rowOrder = default);

    /// <summary>Adds <paramref name="bias"/> to every row of <paramref name="z"/> (rows×cols) in place, then writes act(z) to <paramref name="output"/>.</summary>
    void BiasActivation(Span<float> z, ReadOnlySpan<float> bias, Span<float> output, int rows, int cols, Activation activation);

    /// <summary>
    /// Multiplies <paramref name="gradient"/> (dL/d act-output, rows×cols) in place by the activation's derivative,
    /// giving dL/dz. <paramref name="z"/> is the pre-activation and <paramref name="output"/> = act(z), unmasked;
    /// softmax uses its full Jacobian row by row.
    /// </summary>
    void ActivationBackward(ReadOnlySpan<float> z, ReadOnlySpan<float> output, Span<float> gradient, int rows, int cols, Activation activation);

    /// <summary><c>sums[j] = Σ_i x[i, j]</c> over rows (overwrites <paramref name="sums"/>).</summary>
    void ColumnSums(ReadOnlySpan<float> x, int rows, int cols, Span<float> sums);

    /// <summary>
    /// Softmax cross-entropy on logits (rows×cols) with integer labels: writes the softmax to
    /// <paramref name="probabilities"/>, the per-sample loss gradient <c>p - onehot(y)</c> (not divided by rows)
    /// to <paramref name="gradient"/>, and returns the loss summed over rows, <c>Σ -log(p_y + 1e-15)</c>.
    /// </summary>
    double SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, Span<float> gradient, int rows, int cols);

    /// <summary>
    /// Sigmoid binary cross-entropy on one logit per row: writes p = σ(z), the gradient <c>p - y</c>, and returns
    /// <c>Σ -(y·log(p + 1e-15) + (1-y)·log(1-p + 1e-15))</c>, with p from an overflow-free sigmoid in double and
    /// 1-p formed in double, so every value the original computes finitely comes out the same (e.g. 34.5388 for z = 40, y = 0).
    /// </summary>
    double SigmoidBinaryCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, Span<float> gradient, int rows);

    /// <summary><c>x[i] *= y[i]</c>.</summary>
    void Multiply(Span<float> x, ReadOnlySpan<float> y);

    /// <summary><c>x[i] *= scale</c>.</summary>
    void Scale(Span<float> x, float scale);

    /// <summary><c>x[i] += y[i]</c>.</summary>
    void Add(Span<float> x, ReadOnlySpan<float> y);

    /// <summary><c>sum[i] = x[i] + y[i]</c>: the last add of a reduction, straight into its destination.</summary>
    void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> sum);

    /// <summary>
    /// <c>sum[i] = bf16(flush(bf16(x[i]) + bf16(y[i])))</c> (<see cref="BFloat16.Round(float)"/>, <see cref="Denormals"/>):
    /// a node of the reduction tree under <see cref="Training.WireFormat.BFloat16"/>, which rounds its operands too, so a
    /// leaf is rounded by the add that takes it in. <paramref name="sum"/> may be <paramref name="x"/> or <paramref name="y"/>.
    /// </summary>
    void AddBFloat16(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> sum);

    /// <summary><c>destination[i] = bf16(x[i])</c>; <paramref name="destination"/> may be <paramref name="x"/>.</summary>
    void RoundToBFloat16(ReadOnlySpan<float> x, Span<float> destination);

    /// <summary><c>x[i] = x[i]·scale + alpha·y[i]</c>.</summary>
    void ScaleAdd(Span<float> x, float scale, ReadOnlySpan<float> y, float alpha);

    /// <summary><c>Σ x[i]²</c> accumulated in double.</summary>
    double SumOfSquares(ReadOnlySpan<float> x);

    /// <summary>
    /// One Adam step over a segment, with the gradient <paramref name="g"/> read through <paramref name="transform"/>;
    /// see <see cref="Optimizers.AdamOptimizer"/> for the formula. Element-wise, so any split over threads gives the
    /// same bits. The updated weights also go to <paramref name="mirror"/> unless it is empty (see
    /// <see cref="Optimizers.Optimizer.Step(IComputeBackend, ParameterLayout, Span{float}, ReadOnlySpan{float}, float, float, Span{float})"/>).
    /// </summary>
    void AdamUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, in AdamStep step, GradientTransform transform, Span<float> mirror = default);

    /// <summary>
    /// One SGD step over a segment, <paramref name="g"/> read through <paramref name="transform"/>; see
    /// <see cref="Optimizers.SgdOptimizer"/>. The updated weights also go to <paramref name="mirror"/> unless it is empty.
    /// </summary>
    void SgdUpdate(Span<float> w, ReadOnlySpan<float> g, Span<float> velocity, float learningRate, float momentum, float decay, GradientTransform transform, Span<float> mirror = default);

    /// <summary>
    /// One Adadelta step over a segment, <paramref name="g"/> read through <paramref name="transform"/>; see
    /// <see cref="Optimizers.AdadeltaOptimizer"/>. The updated weights also go to <paramref name="mirror"/> unless it is empty.
    /// </summary>
    void AdadeltaUpdate(
        Span<float> w, ReadOnlySpan<float> g, Span<float> squaredGradients, Span<float> squaredUpdates, float learningRate, float rho, float epsilon, float decay, GradientTransform transform,
        Span<float> mirror = default);
}

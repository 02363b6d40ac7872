namespace SegaLearn.Compute;

public sealed partial class SimdBackend
{
    public void BiasActivation(Span<float> z, ReadOnlySpan<float> bias, Span<float> output, int rows, int cols, Activation activation)
    {
        using var mode = FlushToZeroMode.Enter();
        bias = bias[..cols];
        for (var i = 0; i < rows; i++)
        {
            var zr = z.Slice(i * cols, cols);
            var ar = output.Slice(i * cols, cols);
            switch (activation.Kind)
            {
                case ActivationKind.ReLU:
                    WidthLoop.AddMap(_width, new FlushedUnary<ReLUOperator>(), zr, bias, ar);
                    break;
                case ActivationKind.LeakyReLU:
                    WidthLoop.AddMap(_width, new FlushedUnary<LeakyReLUOperator>(new(activation.Alpha)), zr, bias, ar);
                    break;
                case ActivationKind.Linear:
                    WidthLoop.AddMap(_width, new FlushOperator(), zr, bias, ar);
                    break;
                default:
                    Add(zr, bias);
                    Activate(zr, ar, activation.Kind);
                    break;
            }
        }
    }

    public void ActivationBackward(ReadOnlySpan<float> z, ReadOnlySpan<float> output, Span<float> gradient, int rows, int cols, Activation activation)
    {
        using var mode = FlushToZeroMode.Enter();
        var size = rows * cols;
        z = z[..size];
        output = output[..size];
        gradient = gradient[..size];
        switch (activation.Kind)
        {
            case ActivationKind.ReLU:
                WidthLoop.Zip(_width, new FlushedBinary<ReLUGradientOperator>(), gradient, z, gradient);
                break;
            case ActivationKind.LeakyReLU:
                WidthLoop.Zip(_width, new FlushedBinary<LeakyReLUGradientOperator>(new(activation.Alpha)), gradient, z, gradient);
                break;
            case ActivationKind.Tanh:
                WidthLoop.Zip(_width, new FlushedBinary<TanhGradientOperator>(), gradient, output, gradient);
                break;
            case ActivationKind.Sigmoid:
                WidthLoop.Zip(_width, new FlushedBinary<SigmoidGradientOperator>(), gradient, output, gradient);
                break;
            case ActivationKind.Linear:
                WidthLoop.Map(_width, new FlushOperator(), gradient, gradient);
                break;
            case ActivationKind.Softmax:
                for (var i = 0; i < rows; i++)
                {
                    var ar = output.Slice(i * cols, cols);
                    var gr = gradient.Slice(i * cols, cols);
                    WidthLoop.Zip(_width, new FlushedBinary<SoftmaxGradientOperator>(new(FixedOrder.Dot(_width, gr, ar))), gr, ar, gr);
                }

                break;
        }
    }

    public double SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, Span<float> gradient, int rows, int cols)
    {
        using var mode = FlushToZeroMode.Enter();
        double loss = 0;
        for (var i = 0; i < rows; i++)
        {
            var p = probabilities.Slice(i * cols, cols);
            var g = gradient.Slice(i * cols, cols);
            Softmax(logits.Slice(i * cols, cols), p);
            var label = labels[i];
            loss -= Math.Log(p[label] + CrossEntropy.LogEpsilon);
            p.CopyTo(g);
            g[label] -= 1f;
        }

        return loss;
    }

    /// <summary>One logit per row and the exact double conventions of the interface: the reference's own arithmetic.</summary>
    public double SigmoidBinaryCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> probabilities, Span<float> gradient, int rows)
    {
        using var mode = FlushToZeroMode.Enter();
        return CrossEntropy.SigmoidBinary(logits, labels, probabilities, gradient, rows);
    }

    private void Activate(ReadOnlySpan<float> z, Span<float> output, ActivationKind kind)
    {
        switch (kind)
        {
            case ActivationKind.Softmax:
                Softmax(z, output);
                return;
            case ActivationKind.Tanh:
                WidthLoop.Map(_width, new FlushedUnary<TanhOperator>(), z, output);
                return;
            default:
                WidthLoop.Map(_width, new FlushedUnary<SigmoidOperator>(), z, output);
                return;
        }
    }

    /// <summary>
    /// exp(z - max) over the fixed-order sum of those (see <see cref="FixedOrder"/>): every width takes the same max,
    /// the same exp and the same sum, so the same bits.
    /// </summary>
    private void Softmax(ReadOnlySpan<float> z, Span<float> output)
    {
        output = output[..z.Length];
        WidthLoop.Map(_width, new FlushedUnary<ShiftedExpOperator>(new(FixedOrder.Max(_width, z))), z, output);
        WidthLoop.Map(_width, new FlushedUnary<DivideOperator>(new(FixedOrder.Sum(_width, output))), output, output);
    }
}

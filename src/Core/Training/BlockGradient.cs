namespace SegaLearn.Training;

/// <summary>
/// Computes a block's gradient the way every engine must: its microbatches in order, pre-added in the reduction
/// tree's order, so a block computed anywhere equals the same subtree of the single-process sum bit for bit. Under
/// <see cref="WireFormat.BFloat16"/> it computes at the parameters rounded to bfloat16 and writes the block as the
/// tree's bfloat16 node, whichever engine runs it.
/// </summary>
public sealed class BlockGradient
{
    private readonly ModelReplica _replica;
    private readonly GradientTree _tree;
    private readonly int _microbatchSize;
    private readonly WireFormat _format;
    private readonly float[] _rounded;

    public BlockGradient(ModelReplica replica, int microbatchSize, WireFormat format = WireFormat.Float32)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(microbatchSize);
        _replica = replica;
        _microbatchSize = microbatchSize;
        _format = format;
        var count = new ParameterLayout(replica.Architecture.LayerSizes).TotalCount;
        _tree = new GradientTree(replica.Backend, count, format);
        _rounded = format == WireFormat.BFloat16 ? new float[count] : [];
    }

    /// <summary>
    /// Writes the block's tree-summed gradient into <paramref name="gradient"/> and returns the summed loss.
    /// <paramref name="rows"/> are the block's data rows in batch order, the first at batch position <paramref name="firstSample"/>.
    /// </summary>
    public double Compute(
        ReadOnlySpan<float> parameters, Data.Features features, Data.Targets targets, ReadOnlySpan<int> rows, int epoch, int step, int firstSample, Span<float> gradient)
    {
        if (_format == WireFormat.BFloat16)
        {
            _replica.Backend.RoundToBFloat16(parameters[.._rounded.Length], _rounded);
            parameters = _rounded;
        }

        var count = Microbatch.CountFor(rows.Length, _microbatchSize);
        if (count == 1)
        {
            // A one-leaf tree is its leaf: computing straight into the destination saves a pass over the gradient.
            var sum = _replica.ComputeGradientSum(parameters, features, targets, rows, new DropoutKey(epoch, step, firstSample), gradient);
            if (_format == WireFormat.BFloat16)
            {
                _replica.Backend.RoundToBFloat16(gradient[.._rounded.Length], gradient);
            }

            return sum;
        }

        double loss = 0;
        for (var i = 0; i < count; i++)
        {
            var start = i * _microbatchSize;
            var length = Math.Min(_microbatchSize, rows.Length - start);
            loss += _replica.ComputeGradientSum(
                parameters, features, targets, rows.Slice(start, length), new DropoutKey(epoch, step, firstSample + start), _tree.NextLeaf());
            _tree.Push();
        }

        _tree.Finish(gradient);
        return loss;
    }
}

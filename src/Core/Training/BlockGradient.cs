namespace SegaLearn.Training;

/// <summary>
/// Computes a block's gradient the way every engine must: its microbatches in order, pre-added in the reduction
/// tree's order, so a block computed anywhere equals the same subtree of the single-process sum bit for bit.
/// </summary>
public sealed class BlockGradient
{
    private readonly ModelReplica _replica;
    private readonly GradientTree _tree;
    private readonly int _microbatchSize;

    public BlockGradient(ModelReplica replica, int microbatchSize)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(microbatchSize);
        _replica = replica;
        _microbatchSize = microbatchSize;
        _tree = new GradientTree(replica.Backend, new ParameterLayout(replica.Architecture.LayerSizes).TotalCount);
    }

    /// <summary>
    /// Writes the block's tree-summed gradient into <paramref name="gradient"/> and returns the summed loss.
    /// <paramref name="rows"/> are the block's data rows in batch order, the first at batch position <paramref name="firstSample"/>.
    /// </summary>
    public double Compute(
        ReadOnlySpan<float> parameters, Data.Features features, Data.Targets targets, ReadOnlySpan<int> rows, int epoch, int step, int firstSample, Span<float> gradient)
    {
        var count = Microbatch.CountFor(rows.Length, _microbatchSize);
        if (count == 1)
        {
            // A one-leaf tree is its leaf: computing straight into the destination saves a pass over the gradient.
            return _replica.ComputeGradientSum(parameters, features, targets, rows, new DropoutKey(epoch, step, firstSample), gradient);
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

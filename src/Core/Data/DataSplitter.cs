namespace SegaLearn.Data;

/// <summary>Seeded train/test splits.</summary>
public static class DataSplitter
{
    /// <summary>The stream id ("SPLIT") that keys the split's random stream together with the seed.</summary>
    public const ulong SplitStream = 0x5350_4C49_54;

    /// <summary>
    /// Shuffles the rows with <c>new DeterministicRandom(seed, SplitStream)</c>; the first
    /// <c>round(rows * testFraction)</c> rows of the permutation (rounded half to even) are the test set, the
    /// rest the training set, both in permutation order. The same seed always gives the same split.
    /// </summary>
    /// <exception cref="BadInputException">testFraction is not in (0, 1) or leaves one part empty.</exception>
    public static DataSplit TrainTest(LabeledData data, double testFraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(testFraction > 0 && testFraction < 1))
        {
            throw new BadInputException($"{data.Name}: test fraction {testFraction} must be between 0 and 1 (exclusive)");
        }

        var rows = data.Rows;
        var testRows = (int)Math.Round(rows * testFraction);
        if (testRows == 0 || testRows == rows)
        {
            throw new BadInputException(
                $"{data.Name}: test fraction {testFraction} of {rows} rows leaves {testRows} test and {rows - testRows} training rows; both need at least one");
        }

        var order = new int[rows];
        var random = new DeterministicRandom(seed, SplitStream);
        random.Permutation(order);
        var test = data.SelectRows(order.AsSpan(0, testRows));
        var train = data.SelectRows(order.AsSpan(testRows));
        return new DataSplit(train, test);
    }
}

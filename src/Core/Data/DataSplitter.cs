namespace SegaLearn.Data;

/// <summary>Seeded train/test splits.</summary>
public static class DataSplitter
{
    /// <summary>The stream id ("SPLIT") that keys the split's random stream together with the seed.</summary>
    public const ulong SplitStream = 0x5350_4C49_54;

    /// <summary>The stream id ("VALID") of <see cref="TrainValidation"/>, so that it does not repeat the test split's shuffle.</summary>
    public const ulong ValidationStream = 0x56_414C_4944;

    /// <summary>
    /// Shuffles the rows with <c>new DeterministicRandom(seed, SplitStream)</c>; the first
    /// <c>round(rows * testFraction)</c> rows of the permutation (rounded half to even) are the test set, the
    /// rest the training set, both in permutation order. The same seed always gives the same split.
    /// </summary>
    /// <exception cref="BadInputException">testFraction is not in (0, 1) or leaves one part empty.</exception>
    public static DataSplit TrainTest(LabeledData data, double testFraction, ulong seed) => Split(data, testFraction, seed, SplitStream, "test");

    /// <summary>
    /// Holds out <paramref name="validationFraction"/> of a training part for validation, as <see cref="TrainTest"/>
    /// does but with <see cref="ValidationStream"/>: <see cref="DataSplit.Test"/> is the validation part.
    /// </summary>
    /// <exception cref="BadInputException">validationFraction is not in (0, 1) or leaves one part empty.</exception>
    public static DataSplit TrainValidation(LabeledData train, double validationFraction, ulong seed) =>
        Split(train, validationFraction, seed, ValidationStream, "validation");

    private static DataSplit Split(LabeledData data, double fraction, ulong seed, ulong stream, string part)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(fraction > 0 && fraction < 1))
        {
            throw new BadInputException($"{data.Name}: {part} fraction {fraction} must be between 0 and 1 (exclusive)");
        }

        var rows = data.Rows;
        var heldOut = (int)Math.Round(rows * fraction);
        if (heldOut == 0 || heldOut == rows)
        {
            throw new BadInputException(
                $"{data.Name}: {part} fraction {fraction} of {rows} rows leaves {heldOut} {part} and {rows - heldOut} training rows; both need at least one");
        }

        var order = new int[rows];
        var random = new DeterministicRandom(seed, stream);
        random.Permutation(order);
        var held = data.SelectRows(order.AsSpan(0, heldOut));
        var train = data.SelectRows(order.AsSpan(heldOut));
        return new DataSplit(train, held);
    }
}

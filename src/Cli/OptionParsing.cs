using System.Globalization;
using SegaLearn.Training;

namespace SegaLearn.Cli;

/// <summary>Checks on option values that name the option in the one-line error.</summary>
internal static class OptionParsing
{
    public static int[] ParseSizes(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] <= 0)
            {
                throw new BadInputException($"{option}: '{parts[i]}' is not a positive whole number (expected e.g. 64,32,10)");
            }
        }

        if (sizes.Length < 2)
        {
            throw new BadInputException($"{option}: give at least an input and an output size (e.g. 64,32,10), got '{text}'");
        }

        return sizes;
    }

    public static Activation[] ParseActivations(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var activations = new Activation[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!Activation.TryParse(parts[i], out activations[i]))
            {
                throw new BadInputException(
                    $"{option}: unknown activation '{parts[i]}' (expected relu, leaky_relu[:alpha], tanh, sigmoid, softmax or linear)");
            }
        }

        return activations;
    }

    /// <summary>float32 (fp32) or bfloat16 (bf16), any case.</summary>
    public static WireFormat ParseWire(string text, string option) =>
        WireFormatNames.TryParse(text, out var wire) ? wire : throw new BadInputException($"{option}: unknown wire format '{text}' (expected float32 or bfloat16)");

    public static double Positive(double value, string option)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new BadInputException($"{option} must be a positive number, got {Format(value)}");
        }

        return value;
    }

    public static double NonNegative(double value, string option)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new BadInputException($"{option} must be a number >= 0, got {Format(value)}");
        }

        return value;
    }

    public static double Fraction(double value, string option, bool allowZero)
    {
        if (!double.IsFinite(value) || value < 0 || value >= 1 || (!allowZero && value == 0))
        {
            throw new BadInputException($"{option} must be in {(allowZero ? "[0" : "(0")}, 1), got {Format(value)}");
        }

        return value;
    }

    public static int Positive(int value, string option) =>
        value > 0 ? value : throw new BadInputException($"{option} must be a positive number, got {value}");

    public static int NonNegative(int value, string option) =>
        value >= 0 ? value : throw new BadInputException($"{option} must be >= 0, got {value}");

    /// <summary>Fails before any work when an output file could not be written at the end.</summary>
    public static string OutputPath(string path, string option)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new BadInputException($"{option}: directory '{directory}' does not exist");
        }

        if (Directory.Exists(full))
        {
            throw new BadInputException($"{option}: '{path}' is a directory");
        }

        return full;
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

namespace SegaLearn.Training;

/// <summary>The names of <see cref="WireFormat"/> values in checkpoints, messages and on the command line.</summary>
public static class WireFormatNames
{
    /// <summary>float32 or bfloat16.</summary>
    public static string Name(WireFormat wire) => wire == WireFormat.BFloat16 ? "bfloat16" : "float32";

    /// <summary>Reads float32 (or fp32) and bfloat16 (or bf16), any case and surrounding spaces.</summary>
    public static bool TryParse(string text, out WireFormat wire)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text.Trim().ToLowerInvariant())
        {
            case "float32" or "fp32":
                wire = WireFormat.Float32;
                return true;
            case "bfloat16" or "bf16":
                wire = WireFormat.BFloat16;
                return true;
            default:
                wire = default;
                return false;
        }
    }
}

using System.Globalization;

namespace SegaLearn.Cli;

/// <summary>
/// The confusion matrix as text: a header of predicted classes, then one row per true class, every column as wide as
/// its widest entry (class name or count) and two spaces between columns, so counts of any size stay apart.
/// </summary>
internal static class ConfusionMatrixText
{
    public static IEnumerable<string> Lines(int[,] confusion, IReadOnlyList<string> names)
    {
        var classes = confusion.GetLength(0);
        string Name(int c) => c < names.Count ? names[c] : c.ToString(CultureInfo.InvariantCulture);
        var labelWidth = Math.Max("true \\ predicted".Length, Enumerable.Range(0, classes).Max(c => Name(c).Length));
        var widths = Enumerable.Range(0, classes)
            .Select(p => Enumerable.Range(0, classes).Select(t => confusion[t, p].ToString(CultureInfo.InvariantCulture).Length).Append(Name(p).Length).Max())
            .ToArray();
        yield return "true \\ predicted".PadRight(labelWidth) + string.Concat(Enumerable.Range(0, classes).Select(p => "  " + Name(p).PadLeft(widths[p])));
        for (var t = 0; t < classes; t++)
        {
            yield return Name(t).PadRight(labelWidth)
                + string.Concat(Enumerable.Range(0, classes).Select(p => "  " + confusion[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(widths[p])));
        }
    }
}

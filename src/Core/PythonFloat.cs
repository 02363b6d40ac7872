using System.Globalization;
using System.Text;

namespace SegaLearn;

/// <summary>
/// Formats doubles exactly like Python's <c>repr(float)</c>, so user-facing messages read as the original's did:
/// the shortest digits that round-trip, fixed notation when the decimal exponent e satisfies -4 &lt;= e &lt; 16
/// (with <c>.0</c> for integral values: <c>2.0</c>, <c>0.0001</c>), scientific otherwise with a signed exponent of at
/// least two digits (<c>1e-05</c>, <c>1.5e+16</c>), and <c>inf</c>, <c>-inf</c>, <c>nan</c>.
/// </summary>
public static class PythonFloat
{
    /// <summary>Python's <c>repr</c> of <paramref name="value"/>.</summary>
    public static string Repr(double value)
    {
        if (double.IsNaN(value))
        {
            return "nan";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        var negative = double.IsNegative(value);
        if (value == 0)
        {
            return negative ? "-0.0" : "0.0";
        }

        var (digits, exponent) = ShortestDigits(Math.Abs(value));
        var text = new StringBuilder(32);
        if (negative)
        {
            text.Append('-');
        }

        if (exponent < -4 || exponent >= 16)
        {
            text.Append(digits[0]);
            if (digits.Length > 1)
            {
                text.Append('.').Append(digits, 1, digits.Length - 1);
            }

            text.Append('e').Append(exponent < 0 ? '-' : '+')
                .Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (exponent < 0)
        {
            text.Append("0.").Append('0', -exponent - 1).Append(digits);
        }
        else if (exponent + 1 >= digits.Length)
        {
            text.Append(digits).Append('0', exponent + 1 - digits.Length).Append(".0");
        }
        else
        {
            text.Append(digits, 0, exponent + 1).Append('.').Append(digits, exponent + 1, digits.Length - exponent - 1);
        }

        return text.ToString();
    }

    /// <summary>
    /// The shortest round-trip significant digits of a finite positive value (no leading or trailing zeros) and the
    /// decimal exponent of the first digit, so that value = d.ddd × 10^exponent.
    /// </summary>
    private static (string Digits, int Exponent) ShortestDigits(double value)
    {
        // "R" gives the shortest round-trippable digits on .NET Core 3.0+, in either fixed or E notation.
        var r = value.ToString("R", CultureInfo.InvariantCulture);
        var exponent = 0;
        var e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }

        var point = r.IndexOf('.', StringComparison.Ordinal);
        var integerDigits = point >= 0 ? point : r.Length;
        var all = point >= 0 ? string.Concat(r.AsSpan(0, point), r.AsSpan(point + 1)) : r;
        var leading = 0;
        while (leading < all.Length - 1 && all[leading] == '0')
        {
            leading++;
        }

        var digits = all[leading..].TrimEnd('0');
        return (digits.Length == 0 ? "0" : digits, exponent + integerDigits - leading - 1);
    }
}

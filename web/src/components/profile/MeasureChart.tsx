import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { Table } from "@codegouvfr/react-dsfr/Table";
import { formatDate } from "../../format";
import { formatMeasure, measureType, type Measurement } from "./measures";

const WEEK = 7 * 86_400;
const AXIS_FONT = "14px Marianne, arial, sans-serif";
const shortDate = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "short", year: "2-digit" });

function series(type: string, readings: Measurement[]): uPlot.AlignedData {
  const x = readings.map((m) => Date.parse(m.measured_at) / 1000);
  if (type === "blood_pressure") {
    return [x, readings.map((m) => m.systolic ?? null), readings.map((m) => m.diastolic ?? null)];
  }
  return [x, readings.map((m) => (m.value === null || m.value === undefined ? null : Number(m.value)))];
}

/** Readings within a few days (or one alone) are shown on a week around them: uPlot's own span for a
 * single reading in seconds is wrong (1,000 days). */
function fixedWeek(x: number[]): [number, number] | null {
  const min = Math.min(...x);
  const max = Math.max(...x);
  return max - min < WEEK ? [(min + max - WEEK) / 2, (min + max + WEEK) / 2] : null;
}

function options(type: string, width: number, x: number[]): uPlot.Options {
  const t = measureType(type);
  const week = fixedWeek(x);
  const line = (label: string, stroke: string): uPlot.Series => ({ label, stroke, width: 2, points: { size: 7 } });
  return {
    width,
    height: 220,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: true, ...(week ? { range: week } : {}) } },
    axes: [
      { space: 100, font: AXIS_FONT, values: (_u, splits) => splits.map((s) => shortDate.format(new Date(s * 1000))) },
      { label: t.unit, size: 64, font: AXIS_FONT, labelFont: AXIS_FONT },
    ],
    series: type === "blood_pressure"
      ? [{}, line("Systolique", "#000091"), line("Diastolique", "#ce0500")]
      : [{}, line(t.label, "#000091")],
  };
}

/** A chart of one type's readings (uPlot, a canvas) and its text alternative: a caption and the
 * values as a table, read by screen readers and useful to everyone. */
export function MeasureChart({ type, readings }: { type: string; readings: Measurement[] }) {
  const box = useRef<HTMLDivElement>(null);
  const t = measureType(type);
  const captionId = `mesure-${type}`;

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = () => Math.max(240, Math.min(element.clientWidth, 640));
    const data = series(type, readings);
    const plot = new uPlot(options(type, width(), data[0] as number[]), data, element);
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [type, readings]);

  const last = readings[readings.length - 1];
  return (
    <figure className="fr-mb-4w mes-chart-figure" aria-labelledby={captionId}>
      <figcaption id={captionId} className="fr-h6">
        {`${t.label} (${t.unitLabel}) : ${readings.length} mesure${readings.length > 1 ? "s" : ""}, la dernière ${formatMeasure(last)} le ${formatDate(last.measured_at)}`}
      </figcaption>
      <div ref={box} className="mes-chart" aria-hidden="true" data-testid={`graphique-${type}`} />
      {type === "blood_pressure" && (
        <p className="fr-text--sm" aria-hidden="true">
          <span className="mes-legend mes-legend--high">Systolique (chiffre du haut)</span>
          <span className="mes-legend mes-legend--low">Diastolique (chiffre du bas)</span>
        </p>
      )}
      <div className="mes-table-scroll">
        <Table caption={`Valeurs de la mesure « ${t.label} »`} headers={["Date", "Valeur"]}
          data={[...readings].reverse().map((m) => [formatDate(m.measured_at), formatMeasure(m)])} />
      </div>
    </figure>
  );
}

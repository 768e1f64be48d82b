import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { Table } from "@codegouvfr/react-dsfr/Table";
import { formatDate } from "../../format";
import { formatMeasure, measureType, type Measurement } from "./measures";

const AXIS_FONT = "14px Marianne, arial, sans-serif";
const shortDate = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "short", year: "2-digit" });

function series(type: string, readings: Measurement[]): uPlot.AlignedData {
  const x = readings.map((m) => Date.parse(m.measured_at) / 1000);
  if (type === "blood_pressure") {
    return [x, readings.map((m) => m.systolic ?? null), readings.map((m) => m.diastolic ?? null)];
  }
  return [x, readings.map((m) => (m.value === null || m.value === undefined ? null : Number(m.value)))];
}

function options(type: string, width: number): uPlot.Options {
  const t = measureType(type);
  const line = (label: string, stroke: string): uPlot.Series => ({ label, stroke, width: 2, points: { size: 7 } });
  return {
    width,
    height: 220,
    legend: { show: type === "blood_pressure" },
    cursor: { show: false },
    scales: { x: { time: true } },
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
    const plot = new uPlot(options(type, width()), series(type, readings), element);
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
      <div className="mes-table-scroll">
        <Table caption={`Valeurs de la mesure « ${t.label} »`} headers={["Date", "Valeur"]}
          data={[...readings].reverse().map((m) => [formatDate(m.measured_at), formatMeasure(m)])} />
      </div>
    </figure>
  );
}

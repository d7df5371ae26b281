// The dashboard's entry point: <lab-app> in index.html owns everything else.
import './components/lab-app.js';
